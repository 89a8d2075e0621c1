// The live behaviour metric keeps each checkpoint's own terms (alignment profile, cell entropies, JS
// across cues) while it stays in the late window. Its stored values must be the bits of the
// computation from scratch at every checkpoint, across a resume: checked here against the code that
// computed them before the cache (kept verbatim below as the reference), value by value with Object.is.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alignment, alignmentDefaults, alignmentOf, alignmentProfile, converging, phaseLoad, phaseTrendFit, targetConditionality, type AlignmentDims, type WindowSchedule } from "../../src/metrics/alignment.ts";
import { decompose, decomposeEntries, decompositionEntry, type WindowDims } from "../../src/metrics/decomposition.ts";
import { behaviour } from "../../src/metrics/live/behaviour.ts";
import type { SeedContext } from "../../src/metrics/live/metric.ts";
import { makePlan, type RunPlan } from "../../src/train/plan.ts";
import { Rng } from "../../src/util/rng.ts";
import { tinySpec } from "../train/_helpers.ts";

// ---- reference: the computation from scratch, as it stood before the incremental path ----

function refEntropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi > 0) h -= pi * Math.log(pi);
  }
  return h / Math.LN2;
}

function refJsMany(dists: readonly ArrayLike<number>[], entropies?: readonly number[]): number {
  const K = dists.length, C = dists[0]!.length;
  const mix = new Float64Array(C);
  let meanH = 0;
  for (let k = 0; k < K; k++) {
    const p = dists[k]!;
    for (let i = 0; i < C; i++) mix[i]! += p[i]! / K;
    meanH += (entropies ? entropies[k]! : refEntropy(p)) / K;
  }
  return Math.max(0, refEntropy(mix) - meanH);
}

function refMeanOf(dists: readonly ArrayLike<number>[], C: number): Float64Array {
  const m = new Float64Array(C);
  for (const p of dists) for (let i = 0; i < C; i++) m[i]! += p[i]! / dists.length;
  return m;
}

function refTargetDivergence(targets: Float32Array, E: number, N: number, C: number): number {
  let s = 0;
  for (let n = 0; n < N; n++) s += refJsMany(Array.from({ length: E }, (_, e) => targets.subarray((e * N + n) * C, (e * N + n + 1) * C)));
  return s / N;
}

/** The raw and normalised per-seed decomposition, `[S]` each. */
function refDecompose(steps: readonly Float32Array[], targets: Float32Array, dims: WindowDims) {
  const { T, S, E, N, C } = dims;
  const target = refTargetDivergence(targets, E, N, C);
  const raw = { churn: new Float64Array(S), conditionality: new Float64Array(S), stableConditionality: new Float64Array(S), total: new Float64Array(S) };
  const cell = (t: number, s: number, e: number, n: number) => {
    const at = ((s * E + e) * N + n) * C;
    return steps[t]!.subarray(at, at + C);
  };
  const ts = Array.from({ length: T }, (_, t) => t);
  const es = Array.from({ length: E }, (_, e) => e);
  for (let s = 0; s < S; s++) {
    for (let n = 0; n < N; n++) {
      const grid = ts.map((t) => es.map((e) => cell(t, s, e, n)));
      const h = grid.map((row) => row.map((p) => refEntropy(p)));
      for (const e of es) raw.churn[s]! += refJsMany(ts.map((t) => grid[t]![e]!), ts.map((t) => h[t]![e]!)) / (E * N);
      for (const t of ts) raw.conditionality[s]! += refJsMany(grid[t]!, h[t]!) / (T * N);
      raw.total[s]! += refJsMany(grid.flat(), h.flat()) / N;
      const averaged = es.map((e) => refMeanOf(ts.map((t) => grid[t]![e]!), C));
      raw.stableConditionality[s]! += refJsMany(averaged) / N;
    }
  }
  const norm = (x: Float64Array) => x.map((v) => (target > 1e-12 ? v / target : NaN));
  return {
    target, ...raw,
    churnNorm: norm(raw.churn),
    conditionalityNorm: norm(raw.conditionality),
    stableConditionalityNorm: norm(raw.stableConditionality),
    generalism: norm(raw.total).map((v) => Math.min(1, Math.max(0, 1 - v))),
  };
}

function refTwoMad(x: ArrayLike<number>): number {
  const T = x.length;
  let m = 0, mad = 0;
  for (let t = 0; t < T; t++) m += x[t]! / T;
  for (let t = 0; t < T; t++) mad += Math.abs(x[t]! - m) / T;
  return 2 * mad;
}

function refAlignment(window: readonly Float32Array[], labels: Int32Array, d: AlignmentDims, sched: WindowSchedule) {
  const { T, S, E } = d;
  const A = alignmentProfile(window, labels, d);
  const at = (t: number, s: number, e: number, k: number) => A[((t * S + s) * E + e) * E + k]!;
  const target = targetConditionality(labels, E, d.N);
  const scale = target >= alignmentDefaults.minTarget ? target : 1;
  const fit = phaseTrendFit(sched, E);
  const span = T > 0 ? sched.steps[T - 1]! - sched.steps[0]! : 0;
  const cond = new Float64Array(S), churn = new Float64Array(S), trend = new Float64Array(S);
  const y = new Float64Array(T);
  for (let s = 0; s < S; s++) {
    let c = 0, h = 0, r = 0;
    for (let k = 0; k < E; k++) {
      for (let t = 0; t < T; t++) {
        let lo = Infinity, hi = -Infinity;
        for (let e = 0; e < E; e++) [lo, hi] = [Math.min(lo, at(t, s, e, k)), Math.max(hi, at(t, s, e, k))];
        c += (hi - lo) / (T * E);
      }
      for (let e = 0; e < E; e++) {
        for (let t = 0; t < T; t++) y[t] = at(t, s, e, k);
        const f = fit(y);
        h += refTwoMad(f.phase) / (E * E);
        r += (Math.abs(f.slope) * span) / (E * E);
      }
    }
    cond[s] = c / scale;
    churn[s] = h / scale;
    trend[s] = r / scale;
  }
  return { cond, churn, trend, target };
}

/** The live metric's measure as it was: everything recomputed over the window at every checkpoint. */
function referenceMetric(plan: RunPlan, S: number) {
  const E = plan.world.trained, N = plan.probes.n, C = plan.world.classes;
  const labels = plan.probes.cfLabels;
  const targets = new Float32Array(E * N * C);
  labels.forEach((y, i) => (targets[i * C + y] = 1));
  let window: { step: number; cf: Float32Array }[] = [];
  const inWindow = (t: number, step: number) => t > step - plan.windowSteps;
  const previous = (step: number) => plan.checkpoints.filter((t) => t < step).at(-1) ?? step;
  return (step: number, cf: Float32Array): Record<string, Float64Array> => {
    window.push({ step, cf });
    window = window.filter((w) => inWindow(w.step, step));
    const dims = { T: window.length, S, E, N, C };
    const steps = window.map((w) => w.step);
    const load = phaseLoad(plan.schedule.sequence, steps, steps.map(previous), E);
    const al = refAlignment(window.map((w) => w.cf), labels, dims, { steps, load });
    const dec = refDecompose(window.map((w) => w.cf), targets, dims);
    return {
      "behav/cond": al.cond, "behav/churn": al.churn, "behav/trend": al.trend, "behav/converging": converging(al.trend, al.churn),
      "behav/condJs": dec.conditionalityNorm, "behav/churnJs": dec.churnNorm,
      "behav/stableCondJs": dec.stableConditionalityNorm, "behav/generalismJs": dec.generalism,
    };
  };
}

// ---- synthetic outputs ----

/** Outputs `[S, E, N, C]`: random softmaxes, some sharp, some exact ties, some with exact zeros (0 log 0). */
function outputs(rng: Rng, S: number, E: number, N: number, C: number): Float32Array {
  const p = new Float32Array(S * E * N * C);
  for (let cell = 0; cell < S * E * N; cell++) {
    const o = cell * C, kind = rng.int(4);
    if (kind === 0) { // a tie between two classes
      const a = rng.int(C), b = (a + 1) % C;
      p[o + a] = 0.5, p[o + b] = 0.5;
      continue;
    }
    const temp = kind === 1 ? 8 : 1;
    let z = 0;
    for (let c = 0; c < C; c++) z += p[o + c] = Math.exp(temp * rng.normal());
    for (let c = 0; c < C; c++) p[o + c] = kind === 3 && c === 0 ? 0 : p[o + c]! / z;
  }
  return p;
}

function context(plan: RunPlan, seeds: number[], step: number, probs: Float32Array): SeedContext {
  const none = () => { throw new Error("behaviour reads only the counterfactual probabilities"); };
  return {
    step, plan, seeds, trainLoss: new Float64Array(seeds.length),
    counterfactual: () => ({ probs, hidden: [], mechN: 0 }),
    outputs: none, readoutNorm: none, envGradients: none, params: none,
  };
}

function assertSameBits(got: Record<string, unknown>, want: Record<string, Float64Array>, what: string) {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), what);
  for (const [key, w] of Object.entries(want)) {
    const g = got[key] as Float64Array;
    assert.equal(g.length, w.length, `${what} ${key}: length`);
    for (let s = 0; s < w.length; s++) assert.ok(Object.is(g[s], w[s]), `${what} ${key}[${s}]: got ${g[s]}, want ${w[s]} (bit for bit)`);
  }
}

describe("live behaviour metric: the cached window gives the bits of the computation from scratch", () => {
  for (const envs of [2, 3]) {
    it(`${envs} environments, entries entering and leaving the window, resumed in the middle`, () => {
      const spec = tinySpec({
        seeds: 3,
        envs: Array.from({ length: envs }, (_, e) => ({ name: "ABC"[e]! })),
        schedule: { kind: "blocks", phaseSteps: 100 },
        train: { steps: 900, evalEvery: 50, probes: 48 },
      });
      const plan = makePlan(spec), seeds = [0, 1, 2], S = seeds.length;
      const E = plan.world.trained, N = plan.probes.n, C = plan.world.classes;
      assert.equal(E, envs);
      const T = plan.checkpoints.filter((t) => t > 900 - plan.windowSteps).length;
      assert.ok(T >= 3 && T < plan.checkpoints.length / 2, `a window of ${T} of ${plan.checkpoints.length} checkpoints: entries leave it`);
      const rng = new Rng(7, 1);
      const probs = plan.checkpoints.map(() => outputs(rng, S, E, N, C));
      const reference = referenceMetric(plan, S);
      const live = behaviour.create(plan, seeds);
      const half = Math.floor(plan.checkpoints.length / 2);
      let resumed: ReturnType<typeof behaviour.create> | undefined;
      plan.checkpoints.forEach((step, i) => {
        const want = reference(step, probs[i]!);
        assertSameBits(live.measure(context(plan, seeds, step, probs[i]!)), want, `step ${step}`);
        if (resumed) assertSameBits(resumed.measure(context(plan, seeds, step, probs[i]!)), want, `step ${step} (resumed)`);
        if (i === half) {
          // resume from this checkpoint: a fresh metric rebuilt from every seed's stored parts
          resumed = behaviour.create(plan, seeds);
          resumed.restore!(step, seeds.map((_, s) => live.state!(s).map((p) => Float32Array.from(p))));
        }
      });
      assert.ok(resumed, "the resumed metric measured");
    });
  }
});

describe("decompose: the same bits as the computation from scratch", () => {
  it("on random windows of several lengths, as one flat array or T arrays", () => {
    const rng = new Rng(11, 2);
    for (const d of [{ T: 1, S: 2, E: 2, N: 5, C: 4 }, { T: 4, S: 3, E: 3, N: 7, C: 5 }, { T: 9, S: 1, E: 2, N: 3, C: 8 }] as WindowDims[]) {
      const steps = Array.from({ length: d.T }, () => outputs(rng, d.S, d.E, d.N, d.C));
      const targets = outputs(rng, 1, d.E, d.N, d.C);
      const want = refDecompose(steps, targets, d);
      const flat = new Float32Array(steps.reduce((a, x) => a + x.length, 0));
      steps.forEach((x, t) => flat.set(x, t * x.length));
      for (const got of [decompose(steps, targets, d), decompose(flat, targets, d)]) {
        assert.ok(Object.is(got.targetDivergence, want.target));
        const { target: _, ...perSeed } = want;
        assertSameBits(got.perSeed, perSeed, `T=${d.T}`);
      }
    }
  });
});

describe("the cached parts refuse what does not fit", () => {
  it("names the expected shapes", () => {
    const d = { S: 1, E: 2, N: 3, C: 4 }, x = new Float32Array(24).fill(0.25);
    assert.throws(() => decompositionEntry(x.subarray(1), d), /outputs: expected length 24/);
    assert.throws(() => decomposeEntries([decompositionEntry(x, d)], 1, { ...d, T: 2 }), /window: expected T=2 checkpoints, got 1/);
    const sched = { steps: [10], load: Float64Array.of(1, 0) }, labels = Int32Array.from([0, 1, 2, 1, 2, 3]);
    assert.throws(() => alignmentOf(new Float64Array(3), 1, { ...d, T: 1 }, sched), /expected a \[1, 1, 2, 2\] profile, got length 3/);
    const A = alignmentProfile([x], labels, { ...d, T: 1 });
    assert.deepEqual(alignmentOf(A, targetConditionality(labels, 2, 3), { ...d, T: 1 }, sched), alignment([x], labels, { ...d, T: 1 }, sched));
  });
});
