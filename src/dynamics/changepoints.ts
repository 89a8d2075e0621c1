// Change points in a 1-D series (an LLC trajectory, a loss curve): where does its mean jump?
// Exact penalised segmentation by optimal partitioning (Jackson et al. 2005) with PELT pruning
// (Killick et al. 2012), under a Gaussian mean-shift model. Each flagged index is a *candidate*
// phase transition; whether it is one is the experimenter's call.

export interface ChangePointOptions {
  minSize?: number; // shortest segment allowed, in samples; default 2
  // Cost of one extra change point, in units of the noise variance. Default 2 log n: the BIC
  // charge for the two parameters each change adds (its location and the new mean).
  penalty?: number;
  // Noise standard deviation. Default: estimated from first differences with the MAD,
  // σ̂ = median |x_{t+1} − x_t| / (0.6745 √2), which a few jumps barely move.
  sigma?: number;
}

export interface ChangePoints {
  changePoints: number[]; // index where each new segment starts, ascending
  segments: { start: number; end: number; mean: number }[]; // [start, end)
  sigma: number; // noise scale used
}

/** Minimise Σ_segments Σ (x − segment mean)² / σ² + penalty × (number of change points). */
export function changePoints(series: ArrayLike<number>, options: ChangePointOptions = {}): ChangePoints {
  const n = series.length;
  const { minSize = 2, penalty = 2 * Math.log(Math.max(n, 2)) } = options;
  if (!Number.isInteger(minSize) || minSize < 1)
    throw new RangeError(`expected minSize: an integer ≥ 1, got ${minSize}`);
  if (!(penalty >= 0)) throw new RangeError(`expected penalty ≥ 0, got ${penalty}`);
  for (let i = 0; i < n; i++) {
    const x = series[i]!;
    if (!Number.isFinite(x)) throw new RangeError(`expected finite values, got ${x} at index ${i}`);
  }
  const sigma = options.sigma ?? madSigma(series);
  // prefix sums make the cost of any segment O(1); cost(s, t) = Σx² − (Σx)²/(t − s) over [s, t)
  const s1 = new Float64Array(n + 1);
  const s2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    s1[i + 1] = s1[i]! + series[i]!;
    s2[i + 1] = s2[i]! + series[i]! ** 2;
  }
  const scale = sigma > 0 ? 1 / sigma ** 2 : 1e12; // a noiseless series: any jump is real
  const cost = (s: number, t: number) => (s2[t]! - s2[s]! - (s1[t]! - s1[s]!) ** 2 / (t - s)) * scale;
  const best = new Float64Array(n + 1).fill(Infinity); // best[t]: optimal penalised cost of x[0, t)
  const last = new Int32Array(n + 1); // last[t]: start of the final segment in that optimum
  best[0] = -penalty; // the first segment pays no penalty
  let admissible: number[] = [];
  for (let t = minSize; t <= n; t++) {
    const s = t - minSize; // becomes a legal start once a full segment fits after it
    if (s === 0 || s >= minSize) admissible.push(s);
    for (const a of admissible) {
      const c = best[a]! + cost(a, t) + penalty;
      if (c < best[t]!) [best[t], last[t]] = [c, a];
    }
    // PELT: a start that is already worse than the optimum at t can never win later
    admissible = admissible.filter((a) => best[a]! + cost(a, t) <= best[t]!);
  }
  const starts: number[] = [];
  for (let t = n; t > 0; t = last[t]!) starts.unshift(last[t]!);
  const segments = starts.map((start, k) => {
    const end = starts[k + 1] ?? n;
    return { start, end, mean: (s1[end]! - s1[start]!) / (end - start) };
  });
  return { changePoints: starts.slice(1), segments, sigma };
}

function madSigma(x: ArrayLike<number>): number {
  const d = Array.from({ length: Math.max(0, x.length - 1) }, (_, i) => Math.abs(x[i + 1]! - x[i]!));
  if (d.length === 0) return 0;
  d.sort((a, b) => a - b);
  const mid = d.length >> 1;
  const median = d.length % 2 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2;
  return median / (0.6745 * Math.SQRT2);
}
