// Spread over seeds: summaries and percentile bootstrap confidence intervals (Efron & Tibshirani 1993).

import { Rng, STREAM } from "../util/rng.ts";
import { mean, sd } from "../util/stats.ts";

export interface Summary {
  mean: number; // NaN when n = 0
  sd: number; // sample standard deviation (n - 1); 0 when n = 1, NaN when n = 0
  n: number; // finite values used
}

export interface Interval extends Summary {
  lo: number; // lower percentile of the bootstrap means
  hi: number; // upper percentile of the bootstrap means
  dropped: number; // NaN values left out
}

export interface BootstrapOptions {
  seed?: number; // same seed, same values → same interval
  resamples?: number; // bootstrap resamples of the seeds
  level?: number; // two-sided confidence level
}

export const BOOTSTRAP_DEFAULTS: Required<BootstrapOptions> = { seed: 0, resamples: 2000, level: 0.95 };

/** Mean and sample sd (n - 1) of the values, NaN dropped. */
export function summarise(values: ArrayLike<number>): Summary {
  const xs = Array.from(values).filter((v) => !Number.isNaN(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, sd: NaN, n };
  const m = mean(xs);
  return { mean: m, sd: sd(xs, m), n };
}

/** Linear-interpolated quantile of sorted values (type 7, as R and numpy default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const lo = sorted[i]!;
  return i + 1 < sorted.length ? lo + (pos - i) * (sorted[i + 1]! - lo) : lo;
}

/**
 * Percentile bootstrap CI for the mean over seeds: resample the n per-seed values with replacement,
 * take the (1-level)/2 and (1+level)/2 quantiles of the resampled means. Deterministic given `seed`.
 */
export function bootstrapCi(values: ArrayLike<number>, opts: BootstrapOptions = {}): Interval {
  const { seed, resamples, level } = { ...BOOTSTRAP_DEFAULTS, ...opts };
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrapCi: expected level in (0, 1), got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrapCi: expected resamples >= 1, got ${resamples}`);
  const xs = Array.from(values).filter((v) => !Number.isNaN(v));
  const dropped = values.length - xs.length;
  const s = summarise(xs);
  if (s.n <= 1) return { ...s, lo: s.mean, hi: s.mean, dropped };
  const rng = new Rng(seed, STREAM.bootstrap);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < s.n; i++) sum += xs[rng.int(s.n)]!;
    means[b] = sum / s.n;
  }
  means.sort();
  return { ...s, lo: quantile(means, (1 - level) / 2), hi: quantile(means, (1 + level) / 2), dropped };
}
