// Behaviour on the counterfactual probes (the same content under every trained cue) over the
// decomposition's late window: what depends on the cue (conditionality), what on the schedule's
// phases (churn) and what drifts monotonically across the window (trend: still converging).
// The classes are read from the alignment with the teachers (robust to near-tie flicker and soft
// outputs); the Jensen–Shannon decomposition of the output distributions is reported beside it.
//
// Each checkpoint's own part of both (its alignment profile, each cell's entropy, its JS across cues)
// is computed once when it enters the window and kept with it; each measure adds the window's
// cached terms in the order a computation from scratch would, so the stored values are the same bits.
import { alignmentDefaults, alignmentOf, alignmentProfile, converging, phaseLoad, targetConditionality } from "../alignment.ts";
import { decomposeEntries, decompositionEntry, targetDivergence, type DecompositionEntry } from "../decomposition.ts";
import { defineMetric } from "./metric.ts";

export const behaviour = defineMetric({
  name: "behaviour",
  level: "seed",
  keys: [
    { key: "behav/cond", title: "conditionality", axis: "normalised", headline: true, panel: "behaviour" },
    { key: "behav/churn", title: "churn", axis: "normalised", headline: true, panel: "behaviour" },
    { key: "behav/trend", title: "trend (monotone drift over the window)", axis: "normalised", headline: true, panel: "behaviour" },
    { key: "behav/converging", title: `still converging (1 = trend ≥ ${alignmentDefaults.converging} and > churn)`, axis: "flag", range: [0, 1], headline: true },
    { key: "behav/condJs", title: "conditionality (JS decomposition)", axis: "normalised", panel: "behaviour (Jensen–Shannon)" },
    { key: "behav/churnJs", title: "churn (JS decomposition)", axis: "normalised", panel: "behaviour (Jensen–Shannon)" },
    { key: "behav/stableCondJs", title: "stable conditionality (JS decomposition)", axis: "normalised", panel: "behaviour (Jensen–Shannon)" },
    { key: "behav/generalismJs", title: "generalism (JS decomposition)", axis: "normalised", panel: "behaviour (Jensen–Shannon)" },
  ],
  create(plan, seeds) {
    const S = seeds.length, E = plan.world.trained, N = plan.probes.n, C = plan.world.classes;
    const labels = plan.probes.cfLabels;
    const targets = new Float32Array(E * N * C); // [E, N, C] one-hot targets
    labels.forEach((y, i) => (targets[i * C + y] = 1));
    const targetCond = targetConditionality(labels, E, N), targetDiv = targetDivergence(targets, E, N, C);
    interface Entry { step: number; cf: Float32Array; profile: Float64Array; dec: DecompositionEntry }
    const entry = (step: number, cf: Float32Array): Entry => ({
      step, cf,
      profile: alignmentProfile([cf], labels, { T: 1, S, E, N, C }), // [1, S, E, E]
      dec: decompositionEntry(cf, { S, E, N, C }),
    });
    let window: Entry[] = [];
    const inWindow = (t: number, step: number) => t > step - plan.windowSteps;
    // the checkpoint before each one: a checkpoint measures the model after the steps [previous, step)
    const previous = (step: number) => plan.checkpoints.filter((t) => t < step).at(-1) ?? step;
    return {
      measure(ctx) {
        window.push(entry(ctx.step, ctx.counterfactual().probs));
        window = window.filter((w) => inWindow(w.step, ctx.step));
        const T = window.length, dims = { T, S, E, N, C };
        const steps = window.map((w) => w.step);
        const load = phaseLoad(plan.schedule.sequence, steps, steps.map(previous), E); // [T, E]
        const profile = new Float64Array(T * S * E * E); // [T, S, E, E]
        window.forEach((w, t) => profile.set(w.profile, t * S * E * E));
        const al = alignmentOf(profile, targetCond, dims, { steps, load });
        const dec = decomposeEntries(window.map((w) => w.dec), targetDiv, dims);
        return {
          "behav/cond": al.cond,
          "behav/churn": al.churn,
          "behav/trend": al.trend,
          "behav/converging": converging(al.trend, al.churn),
          "behav/condJs": dec.perSeed.conditionalityNorm,
          "behav/churnJs": dec.perSeed.churnNorm,
          "behav/stableCondJs": dec.perSeed.stableConditionalityNorm,
          "behav/generalismJs": dec.perSeed.generalism,
        };
      },
      state: (s) => window.map((w) => w.cf.subarray(s * E * N * C, (s + 1) * E * N * C)),
      restore(step, parts) {
        const steps = plan.checkpoints.filter((t) => t <= step && inWindow(t, step));
        window = steps.map((t, i) => entry(t, join(parts.map((p) => p[i]!))));
      },
    };
  },
});

/** Concatenates equal-sized per-seed parts into one [S, ...] array. */
export function join(parts: Float32Array[]): Float32Array {
  const size = parts[0]?.length ?? 0, out = new Float32Array(parts.length * size);
  parts.forEach((p, s) => out.set(p, s * size));
  return out;
}
