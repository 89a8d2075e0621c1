// Descriptive statistics over plain numbers, written once: every mean and standard deviation in
// the lab (summaries over seeds, reports, plots, LLC chains) comes from here, so they agree to the
// bit. Sums run left to right from 0 in float64: callers' stored numbers depend on that order.

/** Σ xs, left to right from 0. */
export function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}

/** Arithmetic mean; NaN for no values. */
export function mean(xs: ArrayLike<number>): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}

/** Sample standard deviation (n − 1) around `m` (default: the mean); 0 for one value, NaN for none. */
export function sd(xs: ArrayLike<number>, m = mean(xs)): number {
  const n = xs.length;
  if (n < 2) return n ? 0 : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i]! - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/** The finite values only (NaN, ±∞ and non-numbers dropped). */
export const finite = (xs: ArrayLike<number | null>): number[] => Array.from(xs).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
