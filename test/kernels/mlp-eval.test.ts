// The fused evaluator's shared forward: envGradients reads the activations of the probe-set forward
// that outputs() ran (and only runs the backward); the numbers must be the separate passes' bit for
// bit, in either order, and a step in between must not let a stale forward through.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { init, tree } from "@jax-js/jax";
import type { ExperimentInput } from "../../src/experiment/schema.ts";
import { BatchBuilder } from "../../src/train/batch.ts";
import { FusedEvaluator, FusedTrainer } from "../../src/train/fused.ts";
import { initOptState } from "../../src/train/optim.ts";
import { makePlan } from "../../src/train/plan.ts";
import { tinySpec } from "../train/_helpers.ts";

before(async () => { await init("wasm"); });

/** Every value equal under Object.is (−0 ≠ 0, NaN = NaN). */
function same(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: shared ${a[i]}, separate ${b[i]}`);
}

type Quantities = { outputs: Float32Array; grads: Float32Array[][]; cf: { probs: Float32Array; hidden: Float32Array[] } };

function check(over: ExperimentInput, S: number) {
  const plan = makePlan(tinySpec({ ...over, train: { probes: 13, ...over.train } })); // 13 rows per env: env blocks straddle gemm's 4-row blocks
  const seeds = Array.from({ length: S }, (_, i) => i);
  const f = new FusedTrainer(plan, seeds), batches = new BatchBuilder(plan, seeds);
  const p = plan.model.init(plan.spec.seed, seeds), o = initOptState(plan.spec.train, p);
  f.load({ params: p, opt: o });
  tree.dispose([p, o] as any);
  // (both use the kernel's regions: the separate one writes the same probabilities, and oldCf's changed() drops what the shared one kept)
  const shared = new FusedEvaluator(f, plan), separate = new FusedEvaluator(f, plan, { share: false });
  const N = plan.probes.n, mechN = Math.min(plan.spec.metrics.mechanismProbes, N);
  const compare = (a: Quantities, b: Quantities, at: string) => {
    same(a.outputs, b.outputs, `${at} outputs`);
    assert.equal(a.grads.length, plan.world.trained);
    a.grads.forEach((env, e) => env.forEach((g, i) => same(g, b.grads[e]![i]!, `${at} env ${e} leaf ${i} gradient`)));
    same(a.cf.probs, b.cf.probs, `${at} counterfactual probs`);
    a.cf.hidden.forEach((h, l) => same(h, b.cf.hidden[l]!, `${at} counterfactual hidden ${l}`));
  };
  const inOrder = (ev: FusedEvaluator, order: string[]): Quantities => {
    const q: Partial<Quantities> = {};
    for (const k of order) {
      if (k === "outputs") q.outputs = ev.outputs();
      if (k === "grads") q.grads = ev.envGradients();
      if (k === "cf") q.cf = ev.counterfactual(mechN);
    }
    return q as Quantities;
  };
  // the counterfactual as it was taken before: every row's activations (into oact, free here), then the first mechN of each env sliced out
  const oldCf = (): Quantities["cf"] => {
    const k = f.kernel, E = plan.world.trained, K = E * N, W = plan.model.hidden;
    const all = W.map((_, l) => k.region(`oact${l}`));
    k.evaluate({ rows: K, x: k.region("cfx"), heads: plan.model.heads > 1 ? k.region("cfheads") : undefined, probs: k.region("cfprobs"), hidden: all });
    k.changed(); // oact no longer holds the probe set's forward
    const hidden = W.map((w, l) => {
      const out = new Float32Array(S * E * mechN * w);
      for (let s = 0; s < S; s++) for (let e = 0; e < E; e++) out.set(all[l]!.subarray((s * E + e) * N * w, ((s * E + e) * N + mechN) * w), (s * E + e) * mechN * w);
      return out;
    });
    return { probs: k.region("cfprobs").slice(0, S * K * plan.world.classes), hidden };
  };
  let t = 0;
  for (const steps of [0, 7, 5]) {
    for (let i = 0; i < steps; i++, t++) f.step(t, batches.raw(t), plan.spec.train.lr, 0);
    const first = inOrder(shared, ["outputs", "cf", "grads"]); // the checkpoint's order
    const ref = { ...inOrder(separate, ["outputs", "grads"]), cf: oldCf() };
    assert.ok(ref.grads.every((env) => env.every((g) => g.some((v) => v !== 0))) && ref.outputs.every((v) => v > 0 && v < 1), "non-trivial numbers");
    compare(first, ref, `step ${t}, outputs first`);
    f.kernel.changed(); // forget the shared forward: the next order starts afresh at the same weights
    compare(inOrder(shared, ["grads", "cf", "outputs"]), ref, `step ${t}, gradients first`);
    compare(inOrder(shared, ["outputs", "grads", "cf"]), ref, `step ${t}, asked again`); // from what is kept
  }
  // weights loaded from outside (a restored state) replace what was kept
  const p2 = plan.model.init(plan.spec.seed, seeds.map((s) => s + 100)), o2 = initOptState(plan.spec.train, p2);
  f.load({ params: p2, opt: o2 });
  tree.dispose([p2, o2] as any);
  const loaded = inOrder(shared, ["outputs", "cf", "grads"]);
  compare(loaded, { ...inOrder(separate, ["outputs", "grads"]), cf: oldCf() }, "after load");
  assert.ok(plan.model.hidden.every((_, l) => f.kernel.hasRegion(`oact${l}`)), "the shared path was taken");
}

describe("fused evaluator: the shared forward gives the separate passes' numbers bit for bit", () => {
  it("1 hidden layer, 1 seed", () => check({ model: { hidden: [24] } }, 1));
  it("2 hidden layers, 8 seeds, first mechanism probes of each env", () => check({ model: { hidden: [24, 16] }, metrics: { mechanismProbes: 5 } }, 8));
  it("2 hidden layers with a bottleneck, per-env heads, dropout, 8 seeds", () =>
    check({ model: { hidden: [20, 12], bottleneck: 3, heads: "per-env", dropout: 0.2 } }, 8));
  it("per-env heads, 1 seed, three trained envs", () =>
    check({ envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "reward" }, { name: "C", objective: "sft" }], model: { hidden: [16], heads: "per-env" } }, 1));
});
