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
import { entropy, jsMany } from "./divergence.ts";

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
  const target = targetDivergence(targets, E, N, C);
  const raw = {
    churn: new Float64Array(S),
    conditionality: new Float64Array(S),
    stableConditionality: new Float64Array(S),
    total: new Float64Array(S),
  };
  const cell = (t: number, s: number, e: number, n: number) => {
    const at = ((s * E + e) * N + n) * C;
    return steps[t]!.subarray(at, at + C); // [C]
  };
  const ts = Array.from({ length: T }, (_, t) => t);
  const es = Array.from({ length: E }, (_, e) => e);

  for (let s = 0; s < S; s++) {
    for (let n = 0; n < N; n++) {
      const grid = ts.map((t) => es.map((e) => cell(t, s, e, n))); // [T][E] views of [C]
      const h = grid.map((row) => row.map((p) => entropy(p))); // [T][E] each cell's entropy, used three times
      for (const e of es) raw.churn[s]! += jsMany(ts.map((t) => grid[t]![e]!), ts.map((t) => h[t]![e]!)) / (E * N);
      for (const t of ts) raw.conditionality[s]! += jsMany(grid[t]!, h[t]!) / (T * N);
      raw.total[s]! += jsMany(grid.flat(), h.flat()) / N;
      const averaged = es.map((e) => meanOf(ts.map((t) => grid[t]![e]!), C)); // [E][C] over the window
      raw.stableConditionality[s]! += jsMany(averaged) / N;
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

function meanOf(dists: readonly ArrayLike<number>[], C: number): Float64Array {
  const m = new Float64Array(C);
  for (const p of dists) for (let i = 0; i < C; i++) m[i]! += p[i]! / dists.length;
  return m;
}
