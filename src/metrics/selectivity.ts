// Single-unit environment selectivity and overlap of per-environment attribution masks.

import { maskOverlapKernel, unitSelectivityKernel } from "../kernels/linalg.ts";
import { expectLabels, expectShape } from "./_shape.ts";

export type SelectivityKind =
  | "index" // (μ_max - μ_rest) / (μ_max + μ_rest), in [0, 1] for non-negative (post-ReLU) units (Morcos et al. 2018)
  | "dprime"; // (μ_max - μ_rest) / sqrt((σ²_max + σ²_rest) / 2), any sign, unbounded

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
  // per-env means and variances, then each unit's selectivity, in the Wasm kernel: the numbers of the
  // plain loops (every sum in row or env order), without their interpreted first calls (~1 ms each)
  const out = unitSelectivityKernel(x, labels, M, H, nEnv, kind);
  if (!(out instanceof Float64Array)) throw new RangeError(`selectivity: expected samples of every env in [0, ${nEnv}), got none of env ${out.emptyEnv}`);
  return out;
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
  if (!(frac > 0 && frac <= 1)) throw new RangeError(`topUnits: expected frac in (0, 1], got ${frac}`);
  const k = Math.max(1, Math.ceil(frac * H)); // each mask's size (topUnits' too)
  // in the Wasm kernel unless a score is NaN: the same numbers, without the interpreted first calls
  const fast = maskOverlapKernel(scores, E, H, k);
  if (fast !== undefined) return fast;
  const mask = new Uint8Array(E * H); // [E][H] 1 for the units in env e's mask
  for (let e = 0; e < E; e++) markTop(scores, e * H, H, frac, k, mask);
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < E; a++) {
    for (let b = a + 1; b < E; b++) {
      let inter = 0;
      for (let h = 0; h < H; h++) inter += mask[a * H + h]! & mask[b * H + h]!;
      sum += inter / (k + k - inter);
      pairs++;
    }
  }
  return pairs ? sum / pairs : NaN;
}

/**
 * Marks in `mask` the units topUnits picks from scores[at, at + H): the first k in the order (score
 * descending, index ascending), kept by insertion rather than sorting all H. Without NaN that order
 * is total, so any correct method picks the same k; with a NaN, topUnits' sort itself decides.
 */
function markTop(scores: ArrayLike<number>, at: number, H: number, frac: number, k: number, mask: Uint8Array): void {
  for (let h = 0; h < H; h++) {
    if (Number.isNaN(scores[at + h])) {
      for (const u of topUnits(Array.prototype.slice.call(scores, at, at + H) as number[], frac)) mask[at + u] = 1;
      return;
    }
  }
  const best = new Int32Array(k); // indices, best first
  let n = 0;
  for (let h = 0; h < H; h++) {
    const v = scores[at + h]!;
    // ties rank the lower index first, and every index kept is lower: h goes after any equal score
    if (n === k && !(v > scores[at + best[k - 1]!]!)) continue;
    let p = n < k ? n++ : k - 1;
    while (p > 0 && v > scores[at + best[p - 1]!]!) {
      best[p] = best[p - 1]!;
      p--;
    }
    best[p] = h;
  }
  for (let i = 0; i < k; i++) mask[at + best[i]!] = 1;
}
