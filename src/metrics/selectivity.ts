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
  // each env's rows in order (a counting sort), so that each sum adds the same terms in the same order
  // as a pass over all rows would, while four units' sums stay in registers
  const start = new Int32Array(E + 1);
  for (let i = 0; i < M; i++) start[labels[i]! + 1]!++;
  for (let e = 0; e < E; e++) start[e + 1]! += start[e]!;
  const rows = new Int32Array(M), fill = start.slice(0, E);
  for (let i = 0; i < M; i++) rows[fill[labels[i]!]!++] = i;
  for (let e = 0; e < E; e++) {
    const a = start[e]!, b = start[e + 1]!;
    count[e] = b - a;
    let h = 0;
    for (; h + 4 <= H; h += 4) {
      let m0 = 0, m1 = 0, m2 = 0, m3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      for (let r = a; r < b; r++) {
        const o = rows[r]! * H + h, v0 = x[o]!, v1 = x[o + 1]!, v2 = x[o + 2]!, v3 = x[o + 3]!;
        m0 += v0; m1 += v1; m2 += v2; m3 += v3;
        q0 += v0 * v0; q1 += v1 * v1; q2 += v2 * v2; q3 += v3 * v3;
      }
      const o = e * H + h;
      mean[o] = m0; mean[o + 1] = m1; mean[o + 2] = m2; mean[o + 3] = m3;
      sq[o] = q0; sq[o + 1] = q1; sq[o + 2] = q2; sq[o + 3] = q3;
    }
    for (; h < H; h++) {
      let m = 0, q = 0;
      for (let r = a; r < b; r++) {
        const v = x[rows[r]! * H + h]!;
        m += v;
        q += v * v;
      }
      mean[e * H + h] = m;
      sq[e * H + h] = q;
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
  const out = new Float64Array(H);
  for (let h = 0; h < H; h++) {
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
    if (gap <= 0) out[h] = 0;
    else if (denom > 0) out[h] = gap / denom;
    else out[h] = kind === "index" ? NaN : Infinity; // index: negative activations; d': zero variance, separable
  }
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
