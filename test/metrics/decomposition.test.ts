import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decompose, targetDivergence, type WindowDims } from "../../src/metrics/decomposition.ts";
import { js } from "../../src/metrics/divergence.ts";
import { Rng } from "../../src/util/rng.ts";
import { close, peaked, randomDist } from "./_fixtures.ts";

type Policy = (t: number, s: number, e: number, n: number) => Float64Array; // output for content n under cue e

/** Window `[T][S][E][N][C]` filled from a policy. */
function window(d: WindowDims, policy: Policy): Float64Array {
  const out = new Float64Array(d.T * d.S * d.E * d.N * d.C);
  for (let t = 0; t < d.T; t++)
    for (let s = 0; s < d.S; s++)
      for (let e = 0; e < d.E; e++)
        for (let n = 0; n < d.N; n++) out.set(policy(t, s, e, n), ((((t * d.S + s) * d.E + e) * d.N + n) * d.C));
  return out;
}

/** Targets `[E][N][C]`: env e's teacher puts 0.7 on class (n + e) mod C, so every env differs. */
function targets(d: WindowDims): Float64Array {
  const out = new Float64Array(d.E * d.N * d.C);
  for (let e = 0; e < d.E; e++) for (let n = 0; n < d.N; n++) out.set(target(d, e, n), (e * d.N + n) * d.C);
  return out;
}
const target = (d: WindowDims, e: number, n: number) => peaked(d.C, (n + e) % d.C);

describe("decompose: classes built by construction", () => {
  const d3: WindowDims = { T: 4, S: 2, E: 3, N: 5, C: 4 };
  const d2: WindowDims = { ...d3, E: 2 };
  // [name, dims, policy, expected normalised values]
  const cases: [string, WindowDims, Policy, { churnNorm: number; conditionalityNorm: number; generalism: number }][] = [
    ["ignores the cue and never changes (generalist)", d3, (_t, _s, _e, n) => peaked(4, n % 4, 0.4), { churnNorm: 0, conditionalityNorm: 0, generalism: 1 }],
    ["reproduces each env's distinct target (conditional)", d3, (_t, _s, e, n) => target(d3, e, n), { churnNorm: 0, conditionalityNorm: 1, generalism: 0 }],
    ["alternates between env 0's and env 1's policy, ignoring the cue (churn)", d2, (t, _s, _e, n) => target(d2, t % 2, n), { churnNorm: 1, conditionalityNorm: 0, generalism: 0 }],
  ];
  for (const [name, d, policy, want] of cases) {
    it(name, () => {
      const r = decompose(window(d, policy), targets(d), d);
      for (const [k, v] of Object.entries(want) as [keyof typeof want, number][]) {
        close(r.mean[k], v, 1e-9, `${k}:`);
        assert.equal(r.perSeed[k].length, d.S);
      }
    });
  }

  it("alternating churn in bits equals the JS between the two policies", () => {
    const d: WindowDims = { T: 6, S: 1, E: 2, N: 1, C: 3 };
    const a = Float64Array.from([0.8, 0.1, 0.1]);
    const b = Float64Array.from([0.1, 0.1, 0.8]);
    const r = decompose(window(d, (t) => (t % 2 ? a : b)), targets(d), d);
    close(r.mean.churn, js(a, b), 1e-12);
    close(r.mean.conditionality, 0, 1e-12);
  });

  it("a churn that also follows the cue has high churn and high conditionality", () => {
    // at even t output the targets, at odd t the targets with the cues swapped
    const r = decompose(window(d2, (t, _s, e, n) => target(d2, (e + t) % 2, n)), targets(d2), d2);
    close(r.mean.churnNorm, 1, 1e-9);
    close(r.mean.conditionalityNorm, 1, 1e-9);
    close(r.mean.stableConditionality, 0, 1e-9, "time-averaged outputs do not depend on the cue:");
  });
});

describe("decompose: properties", () => {
  const d: WindowDims = { T: 3, S: 2, E: 3, N: 4, C: 5 };
  const rng = new Rng(7);
  const random = window(d, () => randomDist(rng, d.C));

  it("obeys the chain rule: total = stableConditionality + churn", () => {
    const r = decompose(random, targets(d), d);
    for (let s = 0; s < d.S; s++) close(r.perSeed.total[s]!, r.perSeed.stableConditionality[s]! + r.perSeed.churn[s]!, 1e-12);
  });

  it("reports per-seed values and their mean", () => {
    const policy: Policy = (_t, s, e, n) => (s === 0 ? target(d, e, n) : peaked(d.C, 0, 0.5));
    const r = decompose(window(d, policy), targets(d), d);
    close(r.perSeed.conditionalityNorm[0]!, 1, 1e-9);
    close(r.perSeed.conditionalityNorm[1]!, 0, 1e-9);
    close(r.mean.conditionalityNorm, 0.5, 1e-9);
  });

  it("accepts T arrays of [S][E][N][C] as well as one flat window", () => {
    const size = d.S * d.E * d.N * d.C;
    const steps = Array.from({ length: d.T }, (_, t) => Float32Array.from(random.subarray(t * size, (t + 1) * size)));
    const a = decompose(Float32Array.from(random), targets(d), d);
    const b = decompose(steps, targets(d), d);
    assert.deepEqual(a.mean, b.mean);
  });

  it("with T = 1 gives the conditionality of one checkpoint and zero churn", () => {
    const one = { ...d, T: 1 };
    const r = decompose(window(one, (_t, _s, e, n) => target(d, e, n)), targets(d), one);
    close(r.mean.churn, 0);
    close(r.mean.conditionalityNorm, 1, 1e-9);
  });

  it("normalised values are NaN when the targets do not differ", () => {
    const same = window({ ...d, T: 1, S: 1 }, (_t, _s, _e, n) => peaked(d.C, n % d.C)); // [E][N][C], identical per e
    assert.equal(targetDivergence(same, d.E, d.N, d.C), 0);
    const r = decompose(random, same, d);
    assert.ok(Number.isNaN(r.mean.conditionalityNorm) && Number.isNaN(r.mean.generalism));
    assert.ok(r.mean.conditionality > 0);
  });

  it("throws with the expected layout on a wrong size", () => {
    assert.throws(() => decompose(random.subarray(1), targets(d), d), /slices: expected a length divisible by 3, got 359/);
    assert.throws(() => decompose([random], targets(d), d), /window: expected T=3 checkpoints, got 1/);
    assert.throws(() => decompose(random, new Float64Array(3), d), /targets: expected length 60 for \[E=3\]\[N=4\]\[C=5\], got 3/);
  });
});
