// Per-seed measurements taken at every checkpoint, inside the shard that trains the seeds
// (devinterp-style: an object with a small lifecycle: measure(), then state()/restore() so a resumed
// run measures exactly as an uninterrupted one). Plain typed arrays in, metric values out.
import { z } from "zod";
import { alignment } from "./alignment.ts";
import { CLASS_KEYS, CLASSES, classScores } from "./classify.ts";
import { linearCka } from "./cka.ts";
import { decompose } from "./decomposition.ts";
import { ldaDecodability } from "./probe.ts";
import { participationRatio } from "./rank.ts";
import { maskOverlap, selectiveFraction, unitSelectivity } from "./selectivity.ts";

export interface MeasureDims {
  S: number; // seeds in this shard
  E: number; // trained environments (cue variants of each counterfactual probe)
  N: number; // counterfactual probe contents
  C: number; // classes
  widths: number[]; // hidden layer widths
  mechN: number; // contents used for the mechanism metrics (a prefix of the N)
}

export interface CheckpointData {
  step: number;
  cf: Float32Array; // [S, E, N, C] outputs on the counterfactual probes
  hidden: Float32Array[]; // per layer [S, E·mechN, width] activations on the first mechN contents of each cue variant
  headNorm: Float32Array; // [S, width_last] norm of each last-layer unit's outgoing weights (attribution)
  conflict?: Float64Array; // [S] mean pairwise gradient cosine between environments
}

export const measureDefaults = {
  topUnits: 0.1, // share of units in each environment's attribution mask
  selective: 0.5, // selectivity index above which a unit counts as environment-selective (μ_max ≥ 3 μ_rest)
};

/** The spec's `metrics` section. */
export const metricsSchema = z.strictObject({
  window: z.int().min(0).default(0), // late window of the decomposition, in steps; 0 = auto (2 phases, within 20–50% of the run)
  mechanismProbes: z.int().min(4).max(4096).default(64), // contents per environment for the mechanism metrics
  conflict: z.boolean().default(true), // gradient conflict between environments (one backward pass per environment per checkpoint)
});
export type MetricsSpec = z.infer<typeof metricsSchema>;

/** The decomposition's window in steps: two mean phase lengths, kept within 20–50% of the run. */
export function windowSteps(spec: MetricsSpec, steps: number, phases: number): number {
  if (spec.window > 0) return spec.window;
  return Math.round(Math.min(0.5 * steps, Math.max(0.2 * steps, (2 * steps) / Math.max(phases, 1))));
}

/** Keeps the window of counterfactual outputs and the last representation between checkpoints. */
export class SeedMeasures {
  private window: { step: number; cf: Float32Array }[] = [];
  private prevRep: Float32Array | undefined; // [S, E·mechN, width_last]

  constructor(
    private readonly d: MeasureDims,
    private readonly labels: Int32Array, // [E, N] teacher labels of the counterfactual contents
    private readonly windowSteps: number, // late window of the decomposition, in steps
  ) {
    this.targets = new Float32Array(d.E * d.N * d.C);
    labels.forEach((y, i) => (this.targets[i * d.C + y] = 1));
  }
  private readonly targets: Float32Array; // [E, N, C] one-hot teacher labels

  /** All per-seed metrics of one checkpoint, each [S]. */
  measure(x: CheckpointData): Record<string, Float64Array> {
    const { S, E, N, C, widths, mechN } = this.d;
    const out: Record<string, Float64Array> = {};
    this.window.push({ step: x.step, cf: x.cf });
    this.window = this.window.filter((w) => w.step > x.step - this.windowSteps);

    // Behaviour: what varies with time (churn) and with the cue (conditionality). The classes are
    // read from the alignment with the teachers (robust to near-tie flicker and to soft outputs);
    // the Jensen–Shannon decomposition of the output distributions is reported beside it.
    const dims = { T: this.window.length, S, E, N, C };
    const al = alignment(this.window.map((w) => w.cf), this.labels, dims);
    const dec = decompose(this.window.map((w) => w.cf), this.targets, dims);
    out["behav/cond"] = al.cond;
    out["behav/churn"] = al.churn;
    out["behav/condJs"] = dec.perSeed.conditionalityNorm;
    out["behav/churnJs"] = dec.perSeed.churnNorm;
    out["behav/stableCondJs"] = dec.perSeed.stableConditionalityNorm;
    out["behav/generalismJs"] = dec.perSeed.generalism;
    for (const k of CLASSES) out[`class/${CLASS_KEYS[k]}`] = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      const sc = classScores(al.cond[s]!, al.churn[s]!);
      for (const k of CLASSES) out[`class/${CLASS_KEYS[k]}`]![s] = sc[k];
    }

    // Mechanism, on the hidden layers' response to the counterfactual probes.
    const M = E * mechN;
    const labels = Int32Array.from({ length: M }, (_, m) => Math.floor(m / mechN));
    widths.forEach((H, l) => {
      const dec = new Float64Array(S);
      for (let s = 0; s < S; s++) dec[s] = E > 1 ? ldaDecodability(x.hidden[l]!.subarray(s * M * H, (s + 1) * M * H), labels, M, H, E) : NaN;
      out[`route/decode:L${l + 1}`] = dec;
    });
    const H = widths[widths.length - 1]!;
    const rep = x.hidden[widths.length - 1]!;
    const sel = new Float64Array(S), overlap = new Float64Array(S), ckaEnv = new Float64Array(S), ckaTime = new Float64Array(S), dim = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      const r = rep.subarray(s * M * H, (s + 1) * M * H); // [E·mechN, H]
      if (E > 1) {
        const u = unitSelectivity(r, labels, M, H, "index", E).map((v) => (Number.isNaN(v) ? 0 : v));
        sel[s] = selectiveFraction(u, measureDefaults.selective);
        overlap[s] = maskOverlap(attribution(r, x.headNorm.subarray(s * H, (s + 1) * H), E, mechN, H), E, H, measureDefaults.topUnits);
        let cka = 0, pairs = 0;
        for (let a = 0; a < E; a++)
          for (let b = a + 1; b < E; b++, pairs++)
            cka += linearCka(r.subarray(a * mechN * H, (a + 1) * mechN * H), r.subarray(b * mechN * H, (b + 1) * mechN * H), mechN, H, H);
        ckaEnv[s] = cka / pairs;
      } else [sel[s], overlap[s], ckaEnv[s]] = [NaN, NaN, NaN];
      ckaTime[s] = this.prevRep ? linearCka(this.prevRep.subarray(s * M * H, (s + 1) * M * H), r, M, H, H) : NaN;
      dim[s] = participationRatio(r, M, H);
    }
    out["route/selective"] = sel;
    out["route/maskOverlap"] = overlap;
    out["rep/ckaEnv"] = ckaEnv;
    out["rep/ckaTime"] = ckaTime;
    out["rep/dim"] = dim;
    if (x.conflict) out["route/conflict"] = x.conflict;
    this.prevRep = rep.slice();
    return out;
  }

  /** Seed s's part of the measurement state, for resuming. */
  stateOf(s: number): Float32Array[] {
    const { E, N, C, mechN, widths } = this.d;
    const per = E * N * C, rep = E * mechN * widths[widths.length - 1]!;
    return [...this.window.map((w) => w.cf.subarray(s * per, (s + 1) * per)), this.prevRep ? this.prevRep.subarray(s * rep, (s + 1) * rep) : new Float32Array(0)];
  }

  /** Sizes of stateOf()'s parts after checkpoint `step`, given the run's checkpoint steps. */
  stateSizes(step: number, checkpoints: number[]): number[] {
    const { E, N, C, mechN, widths } = this.d;
    const inWindow = checkpoints.filter((t) => t <= step && t > step - this.windowSteps).length;
    return [...new Array<number>(inWindow).fill(E * N * C), step >= 0 && checkpoints.includes(step) ? E * mechN * widths[widths.length - 1]! : 0];
  }

  /** Rebuilds the state from every seed's parts (as stateOf returned them), at checkpoint `step`. */
  restore(step: number, checkpoints: number[], parts: Float32Array[][]): void {
    const { S } = this.d;
    const steps = checkpoints.filter((t) => t <= step && t > step - this.windowSteps);
    const join = (i: number) => {
      const size = parts[0]![i]!.length;
      const a = new Float32Array(S * size);
      parts.forEach((p, s) => a.set(p[i]!, s * size));
      return a;
    };
    this.window = steps.map((t, i) => ({ step: t, cf: join(i) }));
    this.prevRep = join(steps.length);
  }
}

/** Attribution of unit h to env e: mean |activation| on e's probes × the unit's outgoing weight norm. [E, H] */
function attribution(r: Float32Array, headNorm: Float32Array, E: number, n: number, H: number): Float64Array {
  const a = new Float64Array(E * H);
  for (let e = 0; e < E; e++)
    for (let i = 0; i < n; i++)
      for (let h = 0; h < H; h++) a[e * H + h]! += (Math.abs(r[(e * n + i) * H + h]!) * headNorm[h]!) / n;
  return a;
}
