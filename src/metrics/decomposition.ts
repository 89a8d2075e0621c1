// Behavioural variance decomposition over a late window of checkpoints (SPEC: Metrics).
// Every quantity is a generalised Jensen–Shannon divergence in bits, i.e. a mutual information
// between an index (checkpoint t, cue env e, or both, uniform) and the output y, averaged over
// the probe contents x. Chain rule: total = stableConditionality + churn = I(t; y|x) + conditionality.
//
// Churn uses each checkpoint against the window's mean distribution (not mean pairwise JS) so
// that it is the same functional as conditionality, on the same scale, and O(T) not O(T²); a
// model alternating between two policies for equal time has churn = JS(policy A, policy B).

import { mean as average } from "../util/stats.ts";
import { expectShape } from "./_shape.ts";
import { slices, type Flat } from "./layout.ts";
import { entropyAt, jsMany, jsOfMixture } from "./divergence.ts";

export interface WindowDims {
  T: number; // checkpoints in the window
  S: number; // seeds
  E: number; // cue environments (counterfactual variants of each probe)
  N: number; // probe contents
  C: number; // classes
}

export type DecompositionKey =
  | "churn" // I(t; y | e, x): mean over (e, n) of JS across the T checkpoints at fixed cue
  | "conditionality" // I(e; y | t, x): mean over (t, n) of JS across the E cues at fixed time
  | "stableConditionality" // I(e; y | x): JS across cues of the window-averaged outputs
  | "total" // I(t, e; y | x): JS across all T·E cells
  | "churnNorm" // churn / targetDivergence
  | "conditionalityNorm" // conditionality / targetDivergence: 1 for a model reproducing the targets
  | "stableConditionalityNorm" // stableConditionality / targetDivergence
  | "generalism"; // clamp(1 - total / targetDivergence, 0, 1): target variation expressed neither in t nor e

export const DECOMPOSITION_KEYS: readonly DecompositionKey[] = [
  "churn", "conditionality", "stableConditionality", "total",
  "churnNorm", "conditionalityNorm", "stableConditionalityNorm", "generalism",
];

export interface Decomposition {
  targetDivergence: number; // bits: I(e; y* | x) of the teachers' targets; normalised keys are NaN when 0
  perSeed: Record<DecompositionKey, Float64Array>; // each [S]
  mean: Record<DecompositionKey, number>; // mean over seeds
}

/** How much the environments' targets differ: mean over n of JS across the E targets, `[E][N][C]`. */
export function targetDivergence(targets: Flat, E: number, N: number, C: number): number {
  expectShape("targets", targets, { E, N, C });
  let s = 0;
  for (let n = 0; n < N; n++) {
    s += jsMany(Array.from({ length: E }, (_, e) => targets.subarray((e * N + n) * C, (e * N + n + 1) * C)));
  }
  return s / N;
}

/**
 * Decompose the counterfactual outputs of a window, `[T][S][E][N][C]` flat or T arrays of
 * `[S][E][N][C]`, against the teachers' targets `[E][N][C]`. T = 1 gives conditionality at one checkpoint.
 */
export function decompose(window: Flat | readonly Flat[], targets: Flat, dims: WindowDims): Decomposition {
  const { T, S, E, N, C } = dims;
  const steps = window instanceof Float32Array || window instanceof Float64Array ? slices(window, T) : window;
  if (steps.length !== T) throw new RangeError(`window: expected T=${T} checkpoints, got ${steps.length}`);
  steps.forEach((x, t) => expectShape(`window[${t}]`, x, { S, E, N, C }));
  return decomposeEntries(steps.map((x) => decompositionEntry(x, dims)), targetDivergence(targets, E, N, C), dims);
}

/**
 * What the decomposition needs of one checkpoint alone, computed once when it enters a window (a live
 * metric keeps it while the checkpoint stays in its late window).
 */
export interface DecompositionEntry {
  readonly x: Flat; // [S, E, N, C] the checkpoint's outputs
  readonly h: Float64Array; // [S, E, N] each cell's entropy (bits)
  readonly cond: Float64Array; // [S, N] JS across the E cues at this checkpoint: its conditionality term before averaging
}

/** The per-checkpoint part of `decompose` for outputs `x` `[S, E, N, C]`. */
export function decompositionEntry(x: Flat, dims: Omit<WindowDims, "T">): DecompositionEntry {
  const { S, E, N, C } = dims;
  expectShape("outputs", x, { S, E, N, C });
  const h = new Float64Array(S * E * N), cond = new Float64Array(S * N), mix = new Float64Array(C);
  for (let cell = 0; cell < S * E * N; cell++) h[cell] = entropyAt(x, cell * C, C);
  for (let s = 0; s < S; s++)
    for (let n = 0; n < N; n++) {
      mix.fill(0);
      let meanH = 0;
      for (let e = 0; e < E; e++) {
        const cell = (s * E + e) * N + n;
        for (let i = 0; i < C; i++) mix[i]! += x[cell * C + i]! / E;
        meanH += h[cell]! / E;
      }
      cond[s * N + n] = jsOfMixture(mix, 0, C, meanH);
    }
  return { x, h, cond };
}

/**
 * `decompose` from its window's entries (oldest first) and the targets' divergence. Every sum adds
 * the same terms in the same order as the generalised JS of each (s, n) grid of views would, so a
 * window rebuilt from stored entries gives the same bits as one measured from scratch.
 */
export function decomposeEntries(entries: readonly DecompositionEntry[], target: number, dims: WindowDims): Decomposition {
  const { T, S, E, N, C } = dims;
  if (entries.length !== T) throw new RangeError(`window: expected T=${T} checkpoints, got ${entries.length}`);
  const raw = {
    churn: new Float64Array(S),
    conditionality: new Float64Array(S),
    stableConditionality: new Float64Array(S),
    total: new Float64Array(S),
  };
  // The mixtures of every (s, n) at once, the window's checkpoints added oldest first (flat loops, no views):
  // each cue's window average (churn's mixture; the cells of stable conditionality) and the T·E cells' mean, t-major then e.
  const perCue = new Float64Array(S * E * N * C), perCueMeanH = new Float64Array(S * E * N); // [S, E, N, C], [S, E, N]
  const all = new Float64Array(S * N * C), allMeanH = new Float64Array(S * N); // [S, N, C], [S, N]
  const TE = T * E;
  for (let t = 0; t < T; t++) {
    const { x, h } = entries[t]!;
    for (let s = 0; s < S; s++)
      for (let e = 0; e < E; e++)
        for (let n = 0; n < N; n++) {
          const cell = (s * E + e) * N + n, sn = s * N + n;
          for (let i = 0; i < C; i++) {
            const v = x[cell * C + i]!;
            perCue[cell * C + i]! += v / T;
            all[sn * C + i]! += v / TE;
          }
          perCueMeanH[cell]! += h[cell]! / T;
          allMeanH[sn]! += h[cell]! / TE;
        }
  }
  const perCueH = new Float64Array(E), mix = new Float64Array(C); // [E] entropy of each cue's window average
  for (let s = 0; s < S; s++) {
    for (let n = 0; n < N; n++) {
      const sn = s * N + n;
      // churn: JS across the T checkpoints at each cue
      for (let e = 0; e < E; e++) {
        const cell = (s * E + e) * N + n;
        perCueH[e] = entropyAt(perCue, cell * C, C);
        raw.churn[s]! += Math.max(0, perCueH[e]! - perCueMeanH[cell]!) / (E * N);
      }
      for (let t = 0; t < T; t++) raw.conditionality[s]! += entries[t]!.cond[sn]! / (T * N);
      raw.total[s]! += jsOfMixture(all, sn * C, C, allMeanH[sn]!) / N;
      // stable conditionality: JS across the E cues of the window-averaged outputs
      mix.fill(0);
      let meanH = 0;
      for (let e = 0; e < E; e++) {
        const cell = (s * E + e) * N + n;
        for (let i = 0; i < C; i++) mix[i]! += perCue[cell * C + i]! / E;
        meanH += perCueH[e]! / E;
      }
      raw.stableConditionality[s]! += jsOfMixture(mix, 0, C, meanH) / N;
    }
  }

  const norm = (x: Float64Array) => x.map((v) => (target > 1e-12 ? v / target : NaN));
  const totalNorm = norm(raw.total);
  const perSeed: Record<DecompositionKey, Float64Array> = {
    ...raw,
    churnNorm: norm(raw.churn),
    conditionalityNorm: norm(raw.conditionality),
    stableConditionalityNorm: norm(raw.stableConditionality),
    generalism: totalNorm.map((v) => Math.min(1, Math.max(0, 1 - v))),
  };
  const mean = Object.fromEntries(
    DECOMPOSITION_KEYS.map((k) => [k, average(perSeed[k])]), // over the S seeds
  ) as Record<DecompositionKey, number>;
  return { targetDivergence: target, perSeed, mean };
}
