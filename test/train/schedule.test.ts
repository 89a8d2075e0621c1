// Learning-rate schedules and gradient clipping: the closed-form lr at given steps, clipping of a
// gradient of known norm, per-seed clipping inside an ensemble, and defaults that change no bit.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { init, numpy as np, tree } from "@jax-js/jax";
import { blocks } from "../../src/schedules/index.ts";
import { fit } from "../../src/train/fit.ts";
import { lrAt, lrScheduleSchema, stepHyper } from "../../src/train/lr.ts";
import { clipByGlobalNorm } from "../../src/train/optim.ts";
import { makePlan } from "../../src/train/plan.ts";
import { ShardTrainer } from "../../src/train/shard.ts";
import { parseSpec } from "../../src/experiment/load.ts";
import { tinySpec } from "./_helpers.ts";

const sched = (o: object) => lrScheduleSchema.parse(o);
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

describe("lr schedules: closed form", () => {
  it("linear warm-up reaches lr at the last warm-up step, then cosine and linear decay hit their halfway values", () => {
    const cos = sched({ kind: "cosine", warmup: 10, final: 0.1 }), lin = sched({ kind: "linear", warmup: 10, final: 0.1 });
    close(lrAt(cos, 2, 0, 110), 0.2); // lr·1/10
    close(lrAt(cos, 2, 4, 110), 1); // lr·5/10
    close(lrAt(cos, 2, 9, 110), 2);
    close(lrAt(cos, 2, 10, 110), 2); // decay starts at p = 0
    close(lrAt(cos, 2, 60, 110), 2 * (0.1 + 0.9 * 0.5)); // p = 1/2: cos(π/2) = 0
    close(lrAt(cos, 2, 35, 110), 2 * (0.1 + 0.9 * (1 + Math.SQRT1_2) / 2)); // p = 1/4
    close(lrAt(lin, 2, 60, 110), 2 * (1 - 0.9 * 0.5));
    close(lrAt(lin, 2, 85, 110), 2 * (1 - 0.9 * 0.75));
    close(lrAt(sched({ kind: "constant" }), 2, 77, 110), 2);
    close(lrAt(sched({ kind: "constant", warmup: 4 }), 2, 1, 110), 1);
  });

  it("perPhase restarts the warm-up and the decay at every phase start, over that phase's length", () => {
    const s = blocks({ phaseSteps: 50 }, ["A", "B"], 100);
    const run = stepHyper({ lr: 1, steps: 100, lrSchedule: sched({ kind: "linear", warmup: 10 }) }, s, ["A", "B"])!;
    const phase = stepHyper({ lr: 1, steps: 100, lrSchedule: sched({ kind: "linear", warmup: 10, perPhase: true }) }, s, ["A", "B"])!;
    close(run(50).lr, 1 - 40 / 90);
    close(phase(50).lr, 0.1); // warm-up again
    close(phase(59).lr, 1);
    close(phase(80).lr, 1 - 20 / 40);
    close(phase(30).lr, 1 - 20 / 40);
    assert.equal(run(0).clip, undefined, "no clipping compiled in without gradClip");
  });

  it("an environment's own lr, schedule and clip apply on its steps only", () => {
    const s = blocks({ phaseSteps: 50 }, ["A", "B"], 100);
    const h = stepHyper({ lr: 1, steps: 100, gradClip: 2, perEnv: { B: { lr: 0.5, lrSchedule: sched({ warmup: 5, perPhase: true }), gradClip: 0 } } }, s, ["A", "B"])!;
    assert.deepEqual([h(0), h(49), h(50), h(54), h(55)], [{ lr: 1, clip: 2 }, { lr: 1, clip: 2 }, { lr: 0.1, clip: 0 }, { lr: 0.5, clip: 0 }, { lr: 0.5, clip: 0 }]);
    assert.equal(stepHyper({ lr: 1, steps: 10 }, s, ["A", "B"]), undefined, "nothing scheduled: the constant path");
  });
});

describe("gradient clipping by global norm", () => {
  before(() => init("wasm"));

  it("scales each seed's gradient to the threshold exactly, and leaves one under it untouched", () => {
    // seed 0: four entries of 2 over two leaves (norm 4); seed 1: (0.3, 0.4, 0, 0), norm 0.5
    const g = { w: np.array(new Float32Array([2, 2, 0.3, 0.4])).reshape([2, 1, 2]), b: np.array(new Float32Array([2, 2, 0, 0])).reshape([2, 2]) };
    const out = clipByGlobalNorm(g, np.array(1), true) as { w: np.Array; b: np.Array };
    assert.deepEqual([...(out.w.dataSync() as Float32Array)], [0.5, 0.5, Math.fround(0.3), Math.fround(0.4)]); // seed 0 ×1/4, seed 1 as it was
    assert.deepEqual([...(out.b.dataSync() as Float32Array)], [0.5, 0.5, 0, 0]);
  });

  it("clips the whole tree as one model without a seed axis (norm 5 → threshold 1)", () => {
    const out = clipByGlobalNorm({ a: np.array(new Float32Array([3])), b: np.array(new Float32Array([4])) }, np.array(1), false) as { a: np.Array; b: np.Array };
    close(out.a.dataSync()[0]!, 0.6, 1e-7);
    close(out.b.dataSync()[0]!, 0.8, 1e-7);
  });

  it("fit: clipping and a warm-up on a quadratic give the closed-form SGD trajectory", () => {
    // loss = ½‖x‖², grad = x; x₀ = (30, 40): norm 50 clipped to 5 while above it, lr ramps 0.1, 0.2.
    const r = fit({
      params: { x: np.array(new Float32Array([30, 40])) },
      loss: (p: { x: np.Array }) => p.x.ref.mul(p.x).sum().mul(0.5),
      batch: () => ({}), steps: 2,
      optimizer: { optimizer: "sgd", lr: 0.2 }, lrSchedule: { warmup: 2 }, gradClip: 5,
    });
    // step 0: g = x·5/50, x ← x − 0.1·g = x·0.99; step 1: ‖x‖ = 49.5, x ← x − 0.2·x·5/49.5
    const want = [30, 40].map((v) => v * 0.99 * (1 - (0.2 * 5) / 49.5));
    const got = (r.params as { x: np.Array }).x.dataSync() as Float32Array;
    want.forEach((w, i) => close(got[i]!, w, 1e-6));
  });
});

/** Each seed's parameters after `steps` steps of a shard of `seeds`. */
function train(spec: ReturnType<typeof tinySpec>, seeds: number[], steps: number): Float32Array[][] {
  const t = new ShardTrainer(makePlan(spec), seeds);
  for (let s = 0; s < steps; s++) for (const _ of t.step(s));
  const leaves = (tree.leaves(tree.ref(t.params())) as np.Array[]).map((a) => a.dataSync() as Float32Array);
  t.dispose();
  return seeds.map((_, k) => leaves.map((l) => l.slice((k * l.length) / seeds.length, ((k + 1) * l.length) / seeds.length)));
}

describe("schedules and clipping in the trainer", () => {
  before(() => init("wasm"));
  const base = { steps: 20, evalEvery: 10, optimizer: "sgd", lr: 0.5 };

  it("a clipped seed and an unclipped seed in one ensemble train as if each were alone", () => {
    // One step unclipped gives each seed's gradient norm (Δ/lr); a threshold between the two clips one seed only.
    const free = tinySpec({ seeds: 2, train: base });
    const init0 = train(free, [0, 1], 0), one = train(free, [0, 1], 1);
    const norms = [0, 1].map((s) => Math.sqrt(one[s]!.reduce((n, l, i) => n + l.reduce((a, v, j) => a + (v - init0[s]![i]![j]!) ** 2, 0), 0)) / 0.5);
    assert.ok(Math.abs(norms[0]! - norms[1]!) > 1e-3 * norms[0]!, `seeds' gradient norms differ (${norms})`);
    const clip = (norms[0]! + norms[1]!) / 2, big = norms[0]! > norms[1]! ? 0 : 1;
    const clipped = tinySpec({ seeds: 2, train: { ...base, gradClip: clip } });
    const c1 = train(clipped, [0, 1], 1);
    assert.deepEqual(c1[1 - big], one[1 - big], "the seed under the threshold takes its unclipped step bit for bit");
    assert.notDeepEqual(c1[big], one[big], "the seed above it is clipped");
    const together = train(clipped, [0, 1], 20), alone = [train(clipped, [0], 20)[0]!, train(clipped, [1], 20)[0]!];
    assert.deepEqual(together, alone);
  });

  it("a schedule written out as the default, or a clip never reached, changes no bit", () => {
    for (const optimizer of ["sgd", "momentum", "adam"]) {
      const train1 = { ...base, optimizer, lr: 0.01, weightDecay: 0.01, l2Init: 0.1 };
      const plain = train(tinySpec({ seeds: 2, train: train1 }), [0, 1], 12);
      const explicit = train(tinySpec({ seeds: 2, train: { ...train1, lrSchedule: { kind: "constant" }, perEnv: { A: { lr: 0.01 } } } }), [0, 1], 12);
      assert.deepEqual(explicit, plain, optimizer);
      // With a clip the lr becomes an input of the program: SGD and momentum keep every bit; Adam's
      // update rounds one product differently (within a few float32 ulps of the weights).
      const clipped = train(tinySpec({ seeds: 2, train: { ...train1, gradClip: 1e30 } }), [0, 1], 12);
      if (optimizer !== "adam") assert.deepEqual(clipped, plain, optimizer);
      else clipped.forEach((s, k) => s.forEach((l, i) => l.forEach((v, j) => close(v, plain[k]![i]![j]!, 1e-6))));
    }
  });

  it("a warm-up changes the trajectory, and unknown environments in perEnv are refused", () => {
    const plain = train(tinySpec({ seeds: 1, train: base }), [0], 5);
    const warm = train(tinySpec({ seeds: 1, train: { ...base, lrSchedule: { warmup: 10 } } }), [0], 5);
    assert.notDeepEqual(warm, plain);
    assert.throws(() => parseSpec({ train: { perEnv: { Q: { lr: 0.1 } } } }), /train\.perEnv: unknown environment Q/);
  });
});
