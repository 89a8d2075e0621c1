// Sequence plumbing with known answers: a bigram "model" of our own (logits at position t =
// W[x_t], causal by construction) makes every quantity computable by hand: greedy and Gumbel-max
// decoding, the teacher-forced SFT loss summed over the completion, DPO at the phase start (log 2),
// REINFORCE on sampled completions. Then the token world end to end on the transformer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { init, nn, numpy as np } from "@jax-js/jax";
import { loadSpec, parseSpec } from "../../src/experiment/load.ts";
import type { SequenceLayout } from "../../src/envs/index.ts";
import type { Model } from "../../src/models/index.ts";
import { objectives } from "../../src/objectives/index.ts";
import { runExperiment } from "../../src/train/run.ts";
import { decode, evalSequence } from "../../src/train/sequence.ts";
import { buildStep, stepLoss, type StepBatch } from "../../src/train/step.ts";
import { initOptState } from "../../src/train/optim.ts";
import { tempStore } from "./_helpers.ts";

await init("wasm");

const V = 5, P = 3, L = 2, T = P + L, S = 2, B = 3;
const seq: SequenceLayout = { prompt: P, completion: L, cue: [0, 1] };

/** W [S, V, V]: seed s's logits after token v. */
const Wv = Float32Array.from({ length: S * V * V }, (_, i) => Math.sin(1.7 * i + 0.3) * 2);
const bigram: Model<{ w: np.Array }> = {
  shape: { input: T, classes: V, envs: 1 }, heads: 1, hidden: [V],
  init: () => ({ w: np.array(Wv).reshape([S, V, V]) }),
  apply(p, x) {
    const [, Bx, Tx] = x.shape as [number, number, number];
    const oh = np.broadcastTo(nn.oneHot(x.astype(np.int32), V).astype(np.float32), [S, Bx, Tx, V]); // [S, B, T, V]
    const logits = np.matmul(oh.reshape([S, Bx * Tx, V]), p.w).reshape([S, Bx, Tx, V]); // [S, B, T, V]
    return { logits, hidden: [] };
  },
  paramCount: () => V * V,
};

const W = (s: number, prev: number) => Array.from({ length: V }, (_, c) => Wv[(s * V + prev) * V + c]!);
const logSoftmax = (z: number[]) => { const m = Math.max(...z), lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)); return z.map((v) => v - lse); };
const argmax = (z: number[]) => z.indexOf(Math.max(...z));

const xs = [[0, 1, 2, 3, 4], [4, 4, 0, 1, 1], [2, 3, 1, 0, 2]]; // [B, T]: prompt, then the teacher completion
const xArr = () => np.array(Float32Array.from(Array.from({ length: S }, () => xs.flat()).flat())).reshape([S, B, T]);
const oneHotRows = (rows: number[][][][]) => np.array(Float32Array.from(rows.flat(3))).reshape([S, B, L, V]); // [S][B][L][V] → [S, B, L, V]
const onehot = (y: number) => Array.from({ length: V }, (_, c) => +(c === y));

test("decode: greedy and Gumbel-max completions, one token at a time on the growing prefix", () => {
  const p = bigram.init(0, [0, 1]);
  const at = (x: np.Array) => bigram.apply({ w: p.w.ref }, x).logits.slice([], [], [P - 1, P - 1 + L]);
  const out = decode(at, np.array(Float32Array.from(xs.flat())).reshape([1, B, T]), seq, undefined).dataSync();
  for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) {
    const t1 = argmax(W(s, xs[b]![P - 1]!)), t2 = argmax(W(s, t1));
    assert.deepEqual([...out.slice((s * B + b) * T, (s * B + b + 1) * T)], [...xs[b]!.slice(0, P), t1, t2]);
  }
  // a noise row that dwarfs the logits picks its own tokens
  const g = Array.from({ length: S }, () => Array.from({ length: B }, (_, b) => [onehot((b + 1) % V).map((v) => 100 * v), onehot((b + 3) % V).map((v) => 100 * v)]));
  const forced = decode(at, xArr(), seq, np.array(Float32Array.from(g.flat(3))).reshape([S, B, L, V])).dataSync();
  for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) assert.deepEqual([forced[(s * B + b) * T + P], forced[(s * B + b) * T + P + 1]], [(b + 1) % V, (b + 3) % V]);
  p.w.dispose();
});

test("evaluation: probabilities at each completion token given the greedy prefix", () => {
  const [probs, hidden, attn] = evalSequence(bigram, false, seq, bigram.init(0, [0, 1]), np.array(Float32Array.from(xs.flat())).reshape([1, B, T]));
  assert.deepEqual(probs.shape, [S, B * L, V]);
  const pr = probs.dataSync();
  for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) {
    const first = logSoftmax(W(s, xs[b]![P - 1]!)), second = logSoftmax(W(s, argmax(first)));
    [first, second].forEach((lp, l) => lp.forEach((v, c) => assert.ok(Math.abs(pr[((s * B + b) * L + l) * V + c]! - Math.exp(v)) < 1e-5)));
  }
  assert.deepEqual([hidden.length, attn.length], [0, 0]);
});

/** The step's batch for one objective on every example. */
function batchFor(kind: string, t: Record<string, np.Array>): StepBatch {
  return { x: xArr(), obj: { [kind]: { mask: np.ones([1, B]), t } } };
}

test("sft: cross-entropy of the teacher-forced completion, summed over its tokens", () => {
  const y = xs.map((r) => r.slice(P));
  const loss = stepLoss({ model: bigram, optim: { optimizer: "sgd", lr: 0.1 } as any, objectives: [objectives.get("sft")], sequence: seq }, bigram.init(0, [0, 1]), undefined,
    batchFor("sft", { target: oneHotRows(Array.from({ length: S }, () => y.map((r) => r.map(onehot)))) })).dataSync();
  for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) {
    let want = 0;
    for (let l = 0; l < L; l++) want -= logSoftmax(W(s, xs[b]![P - 1 + l]!))[y[b]![l]!]!;
    assert.ok(Math.abs(loss[s * B + b]! - want) < 1e-4, `seed ${s} example ${b}: ${loss[s * B + b]} vs ${want}`);
  }
});

test("preference: DPO against the policy itself (a phase's first step) is log 2 on every pair", () => {
  const y = xs.map((r) => r.slice(P)), rej = y.map((r) => r.map((v) => (v + 2) % V));
  const t = {
    chosen: oneHotRows(Array.from({ length: S }, () => y.map((r) => r.map(onehot)))),
    rejected: oneHotRows(Array.from({ length: S }, () => rej.map((r) => r.map(onehot)))),
    beta: np.full([1, B], 0.5),
  };
  const p = bigram.init(0, [0, 1]);
  const loss = stepLoss({ model: bigram, optim: {} as any, objectives: [objectives.get("preference")], sequence: seq }, p, bigram.init(0, [0, 1]), batchFor("preference", t)).dataSync();
  for (const v of loss) assert.ok(Math.abs(v - Math.LN2) < 1e-6);
});

test("preference: DPO on whole completions, the rejected one scored on its own prefix, by policy and reference", () => {
  const y = xs.map((r) => r.slice(P)), rej = y.map((r) => r.map((v) => (v + 2) % V)), beta = 0.5;
  const t = {
    chosen: oneHotRows(Array.from({ length: S }, () => y.map((r) => r.map(onehot)))),
    rejected: oneHotRows(Array.from({ length: S }, () => rej.map((r) => r.map(onehot)))),
    beta: np.full([1, B], beta),
  };
  const half = Wv.map((v) => v * 0.5), Wr = (s: number, prev: number) => Array.from({ length: V }, (_, c) => half[(s * V + prev) * V + c]!);
  const loss = stepLoss({ model: bigram, optim: {} as any, objectives: [objectives.get("preference")], sequence: seq }, bigram.init(0, [0, 1]),
    { w: np.array(half).reshape([S, V, V]) }, batchFor("preference", t)).dataSync();
  const logp = (f: typeof W, s: number, first: number, ys: number[]) => ys.reduce((a, v, l) => a + logSoftmax(f(s, l ? ys[l - 1]! : first))[v]!, 0);
  for (let s = 0; s < S; s++) xs.forEach((r, b) => {
    const first = r[P - 1]!;
    const margin = logp(W, s, first, y[b]!) - logp(Wr, s, first, y[b]!) - (logp(W, s, first, rej[b]!) - logp(Wr, s, first, rej[b]!));
    const want = Math.log1p(Math.exp(-beta * margin));
    assert.ok(Math.abs(loss[s * B + b]! - want) < 1e-4, `seed ${s} example ${b}: ${loss[s * B + b]} vs ${want}`);
  });
});

test("reward: REINFORCE on the sampled completion, per-token or exact match, minus the batch-mean baseline", () => {
  const y = xs.map((r) => r.slice(P));
  const g = Float32Array.from({ length: S * B * L * V }, (_, i) => Math.cos(2.3 * i) * 3); // Gumbel-like noise, fixed
  for (const exact of [0, 1]) {
    const t = {
      rewards: oneHotRows(Array.from({ length: S }, () => y.map((r) => r.map(onehot)))),
      gumbel: np.array(g).reshape([S, B, L, V]),
      useBaseline: np.ones([1, B]), exact: np.full([1, B], exact),
    };
    const loss = stepLoss({ model: bigram, optim: {} as any, objectives: [objectives.get("reward")], sequence: seq }, bigram.init(0, [0, 1]), undefined, batchFor("reward", t)).dataSync();
    for (let s = 0; s < S; s++) {
      const rows = xs.map((r, b) => {
        const a: number[] = [];
        let prev = r[P - 1]!, logp = 0;
        for (let l = 0; l < L; l++) {
          const z = W(s, prev), noisy = z.map((v, c) => v + g[((s * B + b) * L + l) * V + c]!);
          a.push(argmax(noisy));
          logp += logSoftmax(z)[a[l]!]!;
          prev = a[l]!;
        }
        const hits = a.map((v, l) => +(v === y[b]![l]));
        return { r: exact ? Math.min(...hits) : hits.reduce((u, v) => u + v, 0) / L, logp };
      });
      const base = rows.reduce((u, v) => u + v.r, 0) / B;
      rows.forEach(({ r, logp }, b) => assert.ok(Math.abs(loss[s * B + b]! - -(r - base) * logp) < 1e-4, `exact ${exact} seed ${s} example ${b}`));
    }
  }
});

test("the jitted step trains a sequence model: SFT lowers the teacher-forced loss", () => {
  const y = xs.map((r) => r.slice(P));
  const optim = { optimizer: "sgd", lr: 0.5, momentum: 0, weightDecay: 0 } as any;
  const step = buildStep({ model: bigram, optim, objectives: [objectives.get("sft")], sequence: seq });
  let p = bigram.init(0, [0, 1]), opt = initOptState(optim, p), first = NaN, last = NaN;
  for (let t = 1; t <= 20; t++) {
    const target = oneHotRows(Array.from({ length: S }, () => y.map((r) => r.map(onehot))));
    const [p2, o2, l] = step(p, opt, {}, batchFor("sft", { target }), np.array(t));
    [p, opt] = [p2, o2];
    const mean = (l.dataSync() as Float32Array).reduce((a, v) => a + v, 0) / (S * B);
    if (t === 1) first = mean;
    last = mean;
  }
  assert.ok(last < first / 2, `loss ${first} → ${last}`);
});

test("the transformer quickstart runs end to end on a small budget and measures every downstream metric", async () => {
  const base = await loadSpec("examples/transformer.yaml");
  const spec = parseSpec({ ...base, seeds: 2, train: { ...base.train, steps: 60, evalEvery: 30, probes: 16 } }, "transformer-small");
  const store = await tempStore();
  try {
    const run = await runExperiment(spec, { store, threads: 1 });
    assert.equal(run.status, "completed");
    const points = await store.metrics(run.runId);
    const keys = new Set(points.map((p) => p.key));
    for (const k of ["perf/acc:A", "seq/exact:A", "behav/cond", "class/conditional", "route/decode:L2", "rep/ckaEnv", "attn/triggerTop", "cl/forgetting"]) assert.ok(keys.has(k), k);
    for (const p of points) if (p.key.startsWith("perf/acc:") || p.key.startsWith("seq/exact:")) assert.ok(p.value === null || (p.value >= 0 && p.value <= 1));
  } finally {
    await store.close();
  }
});

test("exact match and attention to the trigger, on outputs whose answers are known", async () => {
  const { completion, attention } = await import("../../src/metrics/live/sequence.ts");
  // one env, 2 prompts of L = 2 tokens, C = 3; seed 0 gets prompt 0 fully right and prompt 1 half right
  const labels = Int32Array.from([1, 2, 0, 0]);
  const plan = { probes: { envs: 1, n: 4, prompts: 2, labels }, allEnvNames: ["A"], world: { classes: 3, trained: 1, sequence: { prompt: 3, completion: 2, cue: [0, 1] } } } as any;
  const rows = [[0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.7, 0.2, 0.1], [0.1, 0.5, 0.4]]; // argmax 1, 2, 0, 1
  const m = completion.create(plan, [0]).measure({ outputs: () => Float32Array.from(rows.flat()) } as any);
  assert.deepEqual([...(m["seq/exact:A"] as Float64Array)], [0.5]);
  assert.equal(completion.enabled!({ world: {} } as any, { baselines: false }), false); // one answer per input: not measured
  // two layers of 2 heads on 2 prompts: head means 0.5, 0.25 (layer 1) and 0.75, 0 (layer 2)
  const layer1 = Float32Array.from([0.5, 0.5, 0.5, 0]), layer2 = Float32Array.from([1, 0, 0.5, 0]); // [S = 1, rows 2, heads 2]
  const a = attention.create(plan, [0]).measure({ counterfactual: () => ({ attention: [layer1, layer2] }) } as any);
  assert.deepEqual([(a["attn/trigger"] as Float64Array)[0], (a["attn/triggerTop"] as Float64Array)[0]], [0.375, 0.75]);
});
