// The transformer model: gradients against finite differences, causality, seed independence,
// the per-environment heads, determinism, its knobs' errors, and a copy task learnt through `fit`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { before, describe, it } from "node:test";
import { grad, init, jit, nn, numpy as np, tree } from "@jax-js/jax";
import { models } from "../../src/models/index.ts";
import { Transformer, transformerSchema, type Params } from "../../src/models/transformer.ts";
import { fit } from "../../src/train/fit.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { Rng } from "../../src/util/rng.ts";

before(async () => { await init("wasm"); });

const make = (knobs: Record<string, unknown>, shape = { input: 6, classes: 5, envs: 2 }) =>
  new Transformer(transformerSchema.parse({ kind: "transformer", layers: 2, dModel: 8, heads: 2, ...knobs }), shape);
const tokens = (rng: Rng, n: number, V: number) => Float32Array.from({ length: n }, () => rng.int(V));
const data = (a: np.Array) => Array.from(a.ref.dataSync() as Float32Array | Float64Array); // borrows a
const leaves = (p: Params) => tree.flatten(p)[0] as np.Array[];
const f64 = (a: Float32Array, shape: number[]) => np.array(a).reshape(shape).astype(np.float64);

describe("transformer gradients match central finite differences (float64)", () => {
  // Arrays are float64, but jax-js evaluates exp/log/tanh to float32 accuracy: step 1e-3, tolerance 1e-3 + 1% (as the MLP's).
  const S = 2, B = 3, T = 5, V = 5, E = 2;
  const cases: [string, Record<string, unknown>][] = [
    ["plain (gelu, untied)", {}],
    // ReLU and L1 have kinks at 0, so their steps are smaller (measured on the relu case: at 1e-3
    // and 1e-4 a few pre-activations cross a kink and the difference is 1-2% off; at 1e-5 it
    // agrees to 0.1%). A larger init makes every term count (at 0.02 most gradients are tiny).
    ["tied unembedding, relu", { tied: true, activation: "relu", initScale: 0.5, _eps: 1e-5 }],
    ["bottleneck, per-env heads, dropout, L1", { bottleneck: 3, outputHeads: "per-env", dropout: 0.3, l1: 0.3, initScale: 0.5, _eps: 1e-4 }],
    ["one seed graph batched over seeds", { _batched: true }],
  ];
  for (const [name, knobs] of cases)
    it(name, () => {
      const { _batched, _eps, ...spec } = knobs;
      const eps = (_eps as number | undefined) ?? 1e-3;
      const m = make(spec, { input: T, classes: V, envs: E });
      if (_batched) m.splitSeeds = false;
      const rng = new Rng(7);
      const x = f64(tokens(rng, S * B * T, V), [S, B, T]);
      const y = new Float32Array(S * B * T * V);
      for (let i = 0; i < S * B * T; i++) y[i * V + rng.int(V)] = 1;
      const Y = f64(y, [S, B, T, V]);
      const w = new Float32Array(B * E);
      for (let i = 0; i < B; i++) w[i * E + (i % E)] = 1;
      const heads = m.heads > 1 ? f64(w, [1, B, E, 1]) : undefined;
      const noise = m.trainNoise(0, [0, 1], 3, B)?.map((a) => a.astype(np.float64));
      const loss = (p: Params) => {
        const out = m.apply(p, x.ref, { heads: heads?.ref, noise: noise?.map((a) => a.ref), penalty: true });
        let l = nn.logSoftmax(out.logits, -1).mul(Y.ref).sum([1, 2, 3]).neg().div(B * T); // [S]
        if (out.penalty) l = l.add(out.penalty);
        return l.sum();
      };
      const lossJit = jit(loss);
      const p = tree.map((a: np.Array) => a.astype(np.float64), m.init(3, [0, 1])) as Params;
      const g = grad(loss)(tree.ref(p)) as Params;
      const [pl, def] = tree.flatten(p), gl = tree.flatten(g)[0] as np.Array[];
      let checked = 0;
      (pl as np.Array[]).forEach((t, i) => {
        // A random direction in tensor i: the directional derivative against (L(p+εu) − L(p−εu))/2ε.
        const u = Float32Array.from({ length: t.size }, () => rng.normal());
        const U = np.array(u).reshape(t.shape).astype(np.float64);
        const shifted = (sign: number) => {
          const q = (pl as np.Array[]).map((a, j) => (j === i ? a.ref.add(U.ref.mul(sign * eps)) : a.ref));
          return (lossJit(tree.unflatten(def, q) as Params).dataSync() as Float64Array)[0]!;
        };
        const fd = (shifted(1) - shifted(-1)) / (2 * eps);
        const an = (gl[i]!.ref.mul(U).sum().dataSync() as Float64Array)[0]!;
        assert.ok(Math.abs(fd - an) <= 1e-3 + 0.01 * Math.abs(fd), `tensor ${i} ${JSON.stringify(t.shape)}: analytic ${an} vs finite difference ${fd}`);
        checked++;
      });
      assert.ok(checked >= 15, `${checked} tensors checked`); // embeddings, every block's attention, LayerNorms and MLP, the unembedding
      tree.dispose([p, g, x, Y, heads, noise]);
    });
});

describe("transformer forward", () => {
  it("is causal: changing token t leaves the logits at positions < t unchanged, exactly", () => {
    const T = 7, V = 6, B = 4, m = make({ dropout: 0 }, { input: T, classes: V, envs: 1 });
    for (const split of [true, false]) {
      m.splitSeeds = split;
      const p = m.init(1, [0, 1]);
      const rng = new Rng(2), base = tokens(rng, B * T, V);
      const before = data(m.apply(tree.ref(p), np.array(base).reshape([1, B, T])).logits);
      for (const t of [0, 3, 6]) {
        const changed = base.slice();
        for (let b = 0; b < B; b++) changed[b * T + t] = (changed[b * T + t]! + 1) % V;
        const after = data(m.apply(tree.ref(p), np.array(changed).reshape([1, B, T])).logits);
        let earlier = 0, later = 0;
        for (let i = 0; i < after.length; i++) {
          const pos = Math.floor(i / V) % T;
          if (pos < t) earlier += after[i] === before[i] ? 0 : 1;
          else later += after[i] === before[i] ? 0 : 1;
        }
        assert.equal(earlier, 0, `split ${split}: changing token ${t} moved ${earlier} logits before it`);
        assert.ok(later > 0, `split ${split}: changing token ${t} moved nothing at or after it`);
      }
      tree.dispose(p);
    }
  });

  it("returns the residual stream per layer and causal attention that sums to one", () => {
    const T = 5, V = 5, B = 2, m = make({ layers: 3 }, { input: T, classes: V, envs: 1 });
    const out = m.apply(m.init(0, [0, 1]), np.array(tokens(new Rng(1), B * T, V)).reshape([1, B, T]), { keepHidden: true });
    assert.deepEqual(out.logits.shape, [2, B, T, V]);
    assert.deepEqual(m.hidden, [8, 8, 8, 8]);
    assert.deepEqual(out.hidden.map((h) => h.shape), Array(4).fill([2, B, T, 8]));
    assert.equal(out.attention!.length, 3);
    const att = data(out.attention![1]!); // [S, B, H, T, T]
    assert.equal(att.length, 2 * B * 2 * T * T);
    for (let r = 0; r < att.length / T; r++) {
      const q = r % T, row = att.slice(r * T, (r + 1) * T);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      for (let k = q + 1; k < T; k++) assert.equal(row[k], 0, "attention to a later position");
    }
    tree.dispose([out.logits, out.hidden, out.attention]);
  });

  it("seeds are independent: init of seed g and its outputs do not depend on the other seeds", () => {
    const T = 6, V = 5, B = 3, m = make({}, { input: T, classes: V, envs: 1 });
    const three = m.init(4, [0, 1, 2]), one = m.init(4, [1]);
    for (const [a, b] of leaves(tree.ref(three)).map((t, i) => [t, leaves(tree.ref(one))[i]!] as const)) {
      const n = b.size;
      assert.deepEqual(data(a).slice(n, 2 * n), data(b));
    }
    const x = np.array(tokens(new Rng(3), B * T, V)).reshape([1, B, T]);
    const l3 = data(m.apply(three, x.ref).logits), l1 = data(m.apply(one, x).logits), n = l1.length;
    assert.deepEqual(l3.slice(n, 2 * n), l1); // bit for bit: each seed runs its own graph
    assert.notDeepEqual(l3.slice(0, n), l1);
    m.splitSeeds = false; // one graph batched over the seed axis computes the same function
    const lb = data(m.apply(m.init(4, [0, 1, 2]), np.array(tokens(new Rng(3), B * T, V)).reshape([1, B, T])).logits);
    assert.ok(lb.every((v, i) => Math.abs(v - l3[i]!) < 1e-5));
  });

  it("with per-env heads, each example reads its environment's unembedding", () => {
    const T = 4, V = 5, B = 2, E = 3, m = make({ outputHeads: "per-env" }, { input: T, classes: V, envs: E });
    assert.equal(m.heads, E);
    const shared = make({}, { input: T, classes: V, envs: E });
    const p = m.init(0, [0, 1]);
    const x = np.array(tokens(new Rng(5), B * T, V)).reshape([1, B, T]);
    const w = new Float32Array(B * E);
    w[0 * E + 2] = 1; w[1 * E + 0] = 1; // example 0 in env 2, example 1 in env 0
    const got = data(m.apply(tree.ref(p), x.ref, { heads: np.array(w).reshape([1, B, E, 1]) }).logits); // [S, B, T, V]
    for (const [b, e] of [[0, 2], [1, 0]] as const) {
      // The shared model with env e's slice of the unembedding gives example b's logits.
      const q = tree.ref(p);
      q.unembed = np.split(q.unembed!, E, 2)[e]!; // [S, d, V]
      const want = data(shared.apply(q, x.ref).logits);
      for (let s = 0; s < 2; s++) for (let i = 0; i < T * V; i++) {
        const k = ((s * B + b) * T) * V + i;
        assert.ok(Math.abs(got[k]! - want[k]!) < 1e-5, `seed ${s} example ${b}: ${got[k]} vs ${want[k]}`);
      }
    }
    tree.dispose([p, x]);
  });

  it("is deterministic, and the run seed matters", () => {
    const T = 5, V = 5, m = make({ dropout: 0.2 }, { input: T, classes: V, envs: 1 });
    const a = m.init(9, [0, 1]), b = m.init(9, [0, 1]), c = m.init(10, [0, 1]);
    assert.deepEqual(leaves(a).map(data), leaves(b).map(data));
    assert.notDeepEqual(data(c.tok), data(m.init(9, [0, 1]).tok));
    const n1 = m.trainNoise(9, [0, 1], 4, 3)!, n2 = m.trainNoise(9, [1], 4, 3)!, n3 = m.trainNoise(9, [1], 5, 3)!;
    assert.equal(n1.length, 1 + 2 * 2); // embedding, and attention and MLP outputs of both blocks
    const half = n2[0]!.size;
    assert.deepEqual(data(n1[0]!).slice(half), data(n2[0]!)); // seed 1's mask does not depend on seed 0
    const zeros = data(n3[0]!).filter((v) => v === 0).length / half;
    assert.ok(zeros > 0.1 && zeros < 0.3, `${zeros} of the mask dropped at p = 0.2`);
    tree.dispose([n1, n3]);
  });

  it("readoutNorm is each residual dimension's weight on the logits, times its final LayerNorm gain", () => {
    const T = 4, V = 5, m = make({ bottleneck: 3 }, { input: T, classes: V, envs: 1 }), d = 8;
    const p = m.init(0, [0, 1]);
    p.lnf.g = p.lnf.g.mul(-2);
    const norm = m.readoutNorm(p); // [S, d]
    const bn = data(p.bottleneck!), u = data(p.unembed!); // [S, d, 3], [S, 3, V]
    for (const [s, i] of [[0, 0], [1, 5]] as const) {
      let n = 0;
      for (let v = 0; v < V; v++) {
        let w = 0;
        for (let j = 0; j < 3; j++) w += bn[(s * d + i) * 3 + j]! * u[(s * 3 + j) * V + v]!;
        n += w * w;
      }
      assert.ok(Math.abs(norm[s * d + i]! - 2 * Math.sqrt(n)) < 1e-6);
    }
    tree.dispose(p);
  });

  it("counts its parameters", () => {
    const V = 5, T = 6, d = 8, M = 32, m = make({ layers: 1 }, { input: T, classes: V, envs: 1 });
    const block = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * M + M) + (M * d + d);
    assert.equal(m.paramCount(), V * d + T * d + block + 2 * d + d * V);
    assert.equal(m.paramCount(), leaves(m.init(0, [0])).reduce((n, t) => n + t.size, 0));
  });
});

describe("transformer against PyTorch", () => {
  it("gives the logits of the same weights in torch (bench/torch_transformer.py --check, float64)", (t) => {
    const python = "/usr/bin/python3", script = new URL("../../bench/torch_transformer.py", import.meta.url).pathname;
    if (!existsSync(python)) return t.skip(`${python} not found`);
    if (spawnSync(python, ["-c", "import torch"]).status !== 0) return t.skip(`torch does not import in ${python}`);
    const S = 2, B = 3, T = 6, V = 7, heads = 4;
    const m = make({ dModel: 16, heads, context: 8, initScale: 0.3 }, { input: T, classes: V, envs: 1 });
    const p = m.init(5, [0, 1]);
    const params: Record<string, { shape: number[]; data: number[] }> = {};
    const put = (k: string, a: np.Array) => { params[k] = { shape: a.shape, data: data(a) }; };
    put("tok", p.tok); put("pos", p.pos); put("lnf.g", p.lnf.g); put("lnf.b", p.lnf.b); put("unembed", p.unembed!);
    p.blocks.forEach((b, l) => {
      for (const k of ["ln1", "ln2"] as const) { put(`${l}.${k}.g`, b[k].g); put(`${l}.${k}.b`, b[k].b); }
      for (const k of ["qkv", "out", "up", "down"] as const) { put(`${l}.${k}.w`, b[k].w); put(`${l}.${k}.b`, b[k].b); }
    });
    const x = tokens(new Rng(8), S * B * T, V);
    const r = spawnSync(python, [script, "--check"], { input: JSON.stringify({ heads, x: { shape: [S, B, T], data: Array.from(x) }, params }), encoding: "utf8", maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as number[];
    const got = data(m.apply(p, np.array(x).reshape([S, B, T])).logits);
    assert.equal(got.length, want.length);
    const spread = Math.max(...want) - Math.min(...want);
    assert.ok(spread > 1, `logits spread ${spread}: a check on near-constant logits would prove little`);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    assert.ok(worst < 1e-4, `largest difference from torch ${worst}`);
  });
});

describe("transformer knobs", () => {
  it("is registered as kind transformer", () => {
    assert.equal(models.get("transformer").kind, "transformer");
  });

  it("refuses inconsistent knobs with a clear error", () => {
    const err = (knobs: Record<string, unknown>, re: RegExp, shape = { input: 6, classes: 5, envs: 2 }) =>
      assert.throws(() => make(knobs, shape), (e: unknown) => e instanceof EcotoneError && e.code === "E_SPEC" && re.test(e.message));
    err({ dModel: 10, heads: 4 }, /heads: 4 attention heads do not divide dModel 10/);
    err({ context: 4 }, /context: 4 is shorter than the world's sequences \(6 tokens\)/);
    err({ tied: true, outputHeads: "per-env" }, /per-environment output heads/);
    err({ tied: true, bottleneck: 4 }, /bottleneck/);
    assert.throws(() => transformerSchema.parse({ kind: "transformer", heads: "per-env" }), /outputHeads: per-env/);
    assert.throws(() => transformerSchema.parse({ kind: "transformer", layer: 2 }), /layer/);
  });
});

describe("transformer trains through fit", () => {
  it("learns to copy: the loss on the copied half falls far below log V", () => {
    // Sequences a b c d a b c d: from position 3 on, the next token is the one 3 back (the first half is unpredictable).
    const V = 8, H = 4, T = 2 * H, B = 32;
    const m = make({ layers: 2, dModel: 32, heads: 2 }, { input: T, classes: V, envs: 1 });
    const mask = new Float32Array(T * V);
    for (let t = H - 1; t < T - 1; t++) mask.fill(1, t * V, (t + 1) * V);
    const Mask = np.array(mask).reshape([1, 1, T, V]);
    const loss = (p: Params, b: { x: np.Array; y: np.Array }) =>
      nn.logSoftmax(m.apply(p, b.x).logits, -1).mul(b.y).mul(Mask.ref).sum().neg().div(B * H);
    const batch = (step: number) => {
      const rng = new Rng(11, step), x = new Float32Array(B * T), y = new Float32Array(B * T * V);
      for (let b = 0; b < B; b++) for (let i = 0; i < H; i++) x[b * T + i] = x[b * T + H + i] = rng.int(V);
      for (let i = 0; i < B * T; i++) if ((i % T) + 1 < T) y[i * V + x[i + 1]!] = 1;
      return { x: np.array(x).reshape([1, B, T]), y: np.array(y).reshape([1, B, T, V]) };
    };
    const recent: number[] = [], mean20 = (l: number[]) => l.slice(-20).reduce((a, b) => a + b, 0) / 20;
    const onStep = (_: number, l: number) => (recent.push(l) >= 20 && mean20(recent) < 0.05 * Math.log(V) ? "stop" : undefined);
    const r = fit({ params: m.init(0, [0]), loss, batch, steps: 400, optimizer: { optimizer: "adam", lr: 3e-3 }, onStep });
    const first = r.losses[0]!, last = mean20(Array.from(r.losses));
    assert.ok(Math.abs(first - Math.log(V)) < 0.3, `initial loss ${first} ≈ log V ${Math.log(V)}`);
    assert.ok(last < 0.1 * Math.log(V), `final loss ${last} after ${r.steps} steps (log V = ${Math.log(V)})`);
    tree.dispose([r.params, Mask]);
  });
});
