// Single-unit environment selectivity and overlap of per-environment attribution masks.

import { expectLabels, expectShape } from "./_shape.ts";

export type SelectivityKind =
  | "index" // (μ_max - μ_rest) / (μ_max + μ_rest), in [0, 1] for non-negative (post-ReLU) units (Morcos et al. 2018)
  | "dprime"; // (μ_max - μ_rest) / sqrt((σ²_max + σ²_rest) / 2), any sign, unbounded

/** Per-env mean and variance of each unit of `x` `[M][H]`: `[E][H]` each. */
function envMoments(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, E: number) {
  const mean = new Float64Array(E * H);
  const sq = new Float64Array(E * H);
  const count = new Float64Array(E);
  for (let i = 0; i < M; i++) {
    const e = labels[i]!;
    count[e]!++;
    for (let h = 0; h < H; h++) {
      const v = x[i * H + h]!;
      mean[e * H + h]! += v;
      sq[e * H + h]! += v * v;
    }
  }
  for (let e = 0; e < E; e++) {
    if (count[e] === 0) throw new RangeError(`selectivity: expected samples of every env in [0, ${E}), got none of env ${e}`);
    for (let h = 0; h < H; h++) {
      mean[e * H + h]! /= count[e]!;
      sq[e * H + h] = Math.max(0, sq[e * H + h]! / count[e]! - mean[e * H + h]! ** 2);
    }
  }
  return { mean, variance: sq };
}

/**
 * Selectivity of each unit of `x` `[M][H]` for its preferred env (the one with the largest mean),
 * μ_rest = mean of the other envs' means (σ²_rest likewise). 0 for a dead or constant unit; the index
 * is NaN where μ_max + μ_rest <= 0 (signed units: use d'); d' is Infinity for zero-variance separation. `[H]`.
 */
export function unitSelectivity(
  x: ArrayLike<number>, // [M][H]
  labels: ArrayLike<number>, // [M] env ids
  M: number,
  H: number,
  kind: SelectivityKind = "index",
  E?: number, // number of envs; default max label + 1
): Float64Array {
  expectShape("x", x, { M, H });
  const nEnv = expectLabels(labels, M, E);
  if (nEnv < 2) throw new RangeError(`selectivity: expected at least 2 envs, got ${nEnv}`);
  const { mean, variance } = envMoments(x, labels, M, H, nEnv);
  return Float64Array.from({ length: H }, (_, h) => {
    let top = 0;
    for (let e = 1; e < nEnv; e++) if (mean[e * H + h]! > mean[top * H + h]!) top = e;
    let rest = 0;
    let restVar = 0;
    for (let e = 0; e < nEnv; e++) {
      if (e === top) continue;
      rest += mean[e * H + h]! / (nEnv - 1);
      restVar += variance[e * H + h]! / (nEnv - 1);
    }
    const gap = mean[top * H + h]! - rest;
    const denom = kind === "index" ? mean[top * H + h]! + rest : Math.sqrt((variance[top * H + h]! + restVar) / 2);
    if (gap <= 0) return 0;
    if (denom > 0) return gap / denom;
    return kind === "index" ? NaN : Infinity; // index: negative activations; d': zero variance, separable
  });
}

/** Fraction of units whose selectivity exceeds `threshold` (e.g. 0.5 for the index: μ_max = 3 μ_rest). */
export function selectiveFraction(selectivity: ArrayLike<number>, threshold: number): number {
  let k = 0;
  for (let h = 0; h < selectivity.length; h++) if (selectivity[h]! > threshold) k++;
  return k / selectivity.length;
}

/** Indices of the top ⌈frac·H⌉ (at least 1) units by score; ties go to the lower index. */
export function topUnits(scores: ArrayLike<number>, frac: number): Set<number> {
  if (!(frac > 0 && frac <= 1)) throw new RangeError(`topUnits: expected frac in (0, 1], got ${frac}`);
  const order = Array.from({ length: scores.length }, (_, h) => h).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return new Set(order.slice(0, Math.max(1, Math.ceil(frac * scores.length))));
}

/**
 * Mask overlap: per-env attribution scores `[E][H]` (e.g. mean |activation × gradient| per unit),
 * the top-`frac` units of each env as its mask, mean pairwise Jaccard |A∩B| / |A∪B| over env pairs.
 * 1 = every env uses the same units (shared circuitry), 0 = disjoint masks. NaN for E < 2.
 */
export function maskOverlap(scores: ArrayLike<number>, E: number, H: number, frac = 0.1): number {
  expectShape("scores", scores, { E, H });
  const masks = Array.from({ length: E }, (_, e) => topUnits(Array.prototype.slice.call(scores, e * H, (e + 1) * H) as number[], frac));
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < E; a++) {
    for (let b = a + 1; b < E; b++) {
      const inter = [...masks[a]!].filter((h) => masks[b]!.has(h)).length;
      sum += inter / (masks[a]!.size + masks[b]!.size - inter);
      pairs++;
    }
  }
  return pairs ? sum / pairs : NaN;
}
