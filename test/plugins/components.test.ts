// The example plugins against answers known by construction: the modular world's rules and
// counterfactual probes, the hinge loss and its gradient by hand, the residual MLP's per-seed
// init, the confidence metric on outputs written by hand.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { grad, init, numpy as np } from "@jax-js/jax";
import confidence from "../../examples/plugins/confidence.ts";
import hinge, { hingeLoss } from "../../examples/plugins/hinge.ts";
import modular from "../../examples/plugins/modular.ts";
import resmlp from "../../examples/plugins/resmlp.ts";
import type { SeedContext } from "../../src/extend.ts";
import type { RunPlan } from "../../src/train/plan.ts";

await init("wasm");

const world = (o: Record<string, unknown> = {}, envs = ["add", "sub"], novel: unknown[] = []) =>
  modular.create(modular.schema.parse({ kind: "modular", ...o }), envs, novel.map((n) => modular.novel!.parse(n)));
const argmax = (v: ArrayLike<number>, from: number, n: number) => {
  let best = 0;
  for (let i = 1; i < n; i++) if (v[from + i]! > v[from + best]!) best = i;
  return best;
};

describe("modular world", () => {
  it("labels every probe a + k·b mod p: add, sub, then the novel multiplier", () => {
    const w = world({ modulus: 7 }, ["add", "sub"], [{ kind: "rule", multiplier: 3 }]), p = 7, n = 32;
    const probes = w.probes(n);
    assert.deepEqual(w.envs.map((e) => e.name), ["add", "sub", "k3"]);
    [1, 6, 3].forEach((k, e) => {
      for (let i = 0; i < n; i++) {
        const row = (e * n + i) * w.inputDim;
        const [a, b] = [argmax(probes.x, row, p), argmax(probes.x, row + p, p)];
        assert.equal(probes.labels[e * n + i], (a + k * b) % p);
      }
    });
  });

  it("shows counterfactual probes the same content under every trained cue, labelled by each rule", () => {
    const w = world({ modulus: 5, distinguishability: 0.5 }), p = 5, n = 16, D = w.inputDim;
    const { cf, cfLabels } = w.probes(n);
    for (let i = 0; i < n; i++) {
      const add = cf.subarray(i * D, i * D + 2 * p), sub = cf.subarray((n + i) * D, (n + i) * D + 2 * p);
      assert.deepEqual(sub, add, `content of probe ${i}`);
      const [a, b] = [argmax(add, 0, p), argmax(add, p, p)];
      assert.deepEqual([cfLabels[i], cfLabels[n + i]], [(a + b) % p, (a - b + p) % p]);
      assert.notDeepEqual(cf.subarray((n + i) * D + 2 * p, (n + i + 1) * D), cf.subarray(i * D + 2 * p, (i + 1) * D), "the cues differ");
    }
  });

  it("gives the same probes every time (they are part of the world)", () => {
    assert.deepEqual(world({ seed: 3 }).probes(8), world({ seed: 3 }).probes(8));
  });

  it("states what its knobs mean: agreement 1/p, decodability from chance to 1", () => {
    assert.equal(world({ modulus: 11 }).facts().labelAgreement, 1 / 11);
    assert.equal(world({ distinguishability: 1 }).facts().cueDecodability, 1);
    assert.ok(Math.abs(world({ distinguishability: 0 }).facts().cueDecodability - 0.5) < 0.02);
  });

  it("refuses more environments than distinct rules", () => {
    assert.throws(() => world({ modulus: 3 }, ["a", "b", "c"]), /modulus 3 has 2 distinct rules, got 3 environments/);
  });
});

describe("hinge objective", () => {
  const loss = (logits: number[][], y: number[], margin: number) =>
    hingeLoss(np.array(logits).reshape([1, y.length, 3]), np.array(y.flatMap((c) => [0, 1, 2].map((k) => +(k === c)))).reshape([1, y.length, 3]), np.array(y.map(() => margin)).reshape([1, y.length]));

  it("is zero past the margin and margin − lead below it", () => {
    const got = loss([[3, 1, 0], [3, 1, 0], [1, 0.8, 0]], [0, 1, 0], 0.5).dataSync();
    [0, 2.5, 0.3].forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-6, `example ${i}: ${got[i]} vs ${v}`));
  });

  it("pushes the target up and the runner-up down, by one each", () => {
    const target = np.array([0, 1, 0]).reshape([1, 1, 3]), margin = np.array([1]).reshape([1, 1]);
    const g = grad((z: np.Array) => hingeLoss(z, target, margin).sum())(np.array([3, 1, 0]).reshape([1, 1, 3]));
    assert.deepEqual(Array.from(g.dataSync()), [1, -1, 0]);
  });

  it("fills a one-hot target and takes its margin from the config", () => {
    const t = { target: new Float32Array(6) };
    hinge.fill!({ config: { kind: "hinge", margin: 2 }, y: 2, C: 3, o: 3, t, rng: null as any, noise: null as any });
    assert.deepEqual(Array.from(t.target), [0, 0, 0, 0, 0, 1]);
    assert.deepEqual(hinge.example!({ kind: "hinge", margin: 2 }), { margin: 2 });
  });
});

describe("residual MLP", () => {
  const shape = { input: 6, classes: 4, envs: 2 };
  const model = resmlp.create(resmlp.schema.parse({ kind: "resmlp", width: 8, blocks: 2 }), shape);
  const leaves = (p: any): np.Array[] => [p.embed.w, p.embed.b, ...p.blocks.flatMap((b: any) => [b.up.w, b.up.b, b.down.w, b.down.b]), p.readout.w, p.readout.b];

  it("initialises seed g from (run seed, g) alone, whatever the other seeds", () => {
    const all = leaves(model.init(5, [0, 1, 2])), alone = leaves(model.init(5, [2]));
    all.forEach((a, l) => {
      const per = a.size / 3;
      assert.deepEqual(a.dataSync().slice(2 * per), alone[l]!.dataSync(), `leaf ${l}`);
    });
  });

  it("puts the seed axis first on every parameter and counts them", () => {
    const ls = leaves(model.init(0, [0, 1]));
    assert.ok(ls.every((a) => a.shape[0] === 2));
    assert.equal(ls.reduce((n, a) => n + a.size / 2, 0), model.paramCount());
    ls.forEach((a) => a.dispose());
  });

  it("returns logits [S, B, C] and the stream after the embedding and each block", () => {
    const out = model.apply(model.init(0, [0, 1]), np.ones([1, 5, 6]), { keepHidden: true });
    assert.deepEqual(out.logits.shape, [2, 5, 4]);
    assert.deepEqual(out.hidden.map((h) => h.shape), [[2, 5, 8], [2, 5, 8], [2, 5, 8]]);
    assert.deepEqual(model.hidden, [8, 8, 8]);
    out.logits.dispose();
    out.hidden.forEach((h) => h.dispose());
  });

  it("gives each stream unit's readout norm per seed", () => {
    const p = model.init(0, [0, 1]), w = p.readout.w.ref.dataSync(); // [2, 8, 4]
    const norm = model.readoutNorm!(p);
    assert.equal(norm.length, 2 * 8);
    assert.ok(Math.abs(norm[9]! - Math.hypot(...w.slice(36, 40))) < 1e-6);
  });
});

describe("confidence metric", () => {
  it("measures mean top probability and its excess over accuracy, per environment and seed", () => {
    const plan = { probes: { envs: 1, n: 2, labels: Int32Array.from([0, 1]) }, allEnvNames: ["A"], world: { classes: 2 } } as unknown as RunPlan;
    const probs = Float32Array.from([0.9, 0.1, 0.6, 0.4, /* seed 1 */ 0.2, 0.8, 0.3, 0.7]); // [S=2, N=2, C=2]
    const got = confidence.create(plan, [0, 1]).measure({ outputs: () => probs } as unknown as SeedContext);
    const near = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) < 1e-6, `${a[i]} vs ${v}`));
    near(got["conf/max:A"] as Float64Array, [0.75, 0.75]);
    near(got["conf/gap:A"] as Float64Array, [0.25, 0.25]); // seed 0 right on the first probe, seed 1 on the second
  });
});
