// Linear-probe decodability of the environment from hidden activations (Alain & Bengio 2016).
// Multinomial logistic regression rather than ridge-to-one-hot: least squares cannot decode an
// ordinal code (one unit = env id, E > 2) that a softmax probe separates, and such codes occur.
// Fit by full-batch Nesterov gradient descent from zero: deterministic, no data-order randomness.

import { ldaHits } from "../kernels/linalg.ts";
import { expectLabels, expectShape } from "./_shape.ts";
import { slices, type Flat } from "./layout.ts";

export interface ProbeOptions {
  E?: number; // number of environments; default max label + 1
  l2?: number; // L2 penalty on the weights (not the biases), on standardised features
  iterations?: number; // gradient steps (stops early when the gradient vanishes)
}

export const PROBE_DEFAULTS: Required<Omit<ProbeOptions, "E">> = { l2: 1e-3, iterations: 200 };

export interface ProbeResult {
  accuracy: number; // held-out accuracy on the test half
  train: number; // accuracy on the training half (a gap with `accuracy` means overfitting)
  chance: number; // majority-class frequency in the test half
  uniform: number; // 1 / E
}

/** Stratified deterministic halves: within each env, its 1st, 3rd, 5th… samples train, the others test. */
export function splitHalves(labels: ArrayLike<number>, E: number): { train: number[]; test: number[] } {
  const seen = new Array<number>(E).fill(0);
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < labels.length; i++) (seen[labels[i]!]!++ % 2 === 0 ? train : test).push(i);
  return { train, test };
}

/** Probe one matrix `x` `[M][H]` with env labels `[M]`: train on one half, accuracy on the other. */
export function probeDecodability(
  x: ArrayLike<number>, // [M][H]
  labels: ArrayLike<number>, // [M] env ids
  M: number,
  H: number,
  opts: ProbeOptions = {},
): ProbeResult {
  expectShape("x", x, { M, H });
  const E = expectLabels(labels, M, opts.E);
  const { l2, iterations } = { ...PROBE_DEFAULTS, ...opts };
  const { train, test } = splitHalves(labels, E);
  if (train.length === 0 || test.length === 0) throw new RangeError(`probe: expected at least 2 samples, got ${M}`);
  const D = H + 1; // features standardised on the training half, plus a bias column
  const mu = new Float64Array(H);
  const variance = new Float64Array(H);
  for (const i of train) for (let h = 0; h < H; h++) mu[h]! += x[i * H + h]! / train.length;
  for (const i of train) for (let h = 0; h < H; h++) variance[h]! += (x[i * H + h]! - mu[h]!) ** 2 / train.length;
  const features = (idx: number[]) => {
    const f = new Float64Array(idx.length * D);
    idx.forEach((i, r) => {
      for (let h = 0; h < H; h++) f[r * D + h] = variance[h]! > 1e-24 ? (x[i * H + h]! - mu[h]!) / Math.sqrt(variance[h]!) : 0;
      f[r * D + H] = 1;
    });
    return f;
  };
  const xtr = features(train);
  const ytr = train.map((i) => labels[i]!);
  const n = train.length;

  // step 1/L, L = ½ λmax(XᵀX/n) + l2 bounds the loss curvature; λmax by power iteration, with margin
  const L = 0.6 * topEigen(xtr, n, D) + l2;
  let w = new Float64Array(D * E); // [D][E]
  let prev = w;
  const grad = new Float64Array(D * E);
  for (let k = 1; k <= iterations; k++) {
    const beta = (k - 1) / (k + 2);
    const y = w.map((v, j) => v + beta * (v - prev[j]!));
    gradient(y, xtr, ytr, n, D, E, l2, grad);
    if (grad.reduce((m, g) => Math.max(m, Math.abs(g)), 0) < 1e-7) break;
    prev = w;
    w = y.map((v, j) => v - grad[j]! / L);
  }
  const accuracy = (f: Float64Array, y: number[]) => y.filter((l, r) => argmaxRow(f, w, r, D, E) === l).length / y.length;
  const counts = new Array<number>(E).fill(0);
  for (const i of test) counts[labels[i]!]!++;
  return {
    accuracy: accuracy(features(test), test.map((i) => labels[i]!)),
    train: accuracy(xtr, ytr),
    chance: Math.max(...counts) / test.length,
    uniform: 1 / E,
  };
}

/** Probe each seed of `acts` `[S][M][H]` (labels shared by all seeds): accuracy per seed `[S]`. */
export function decodability(
  acts: Flat,
  labels: ArrayLike<number>,
  dims: { S: number; M: number; H: number },
  opts: ProbeOptions = {},
): { accuracy: Float64Array; chance: number; uniform: number } {
  const { S, M, H } = dims;
  expectShape("acts", acts, { S, M, H });
  const results = slices(acts, S).map((x) => probeDecodability(x, labels, M, H, opts));
  return { accuracy: Float64Array.from(results, (r) => r.accuracy), chance: results[0]!.chance, uniform: results[0]!.uniform };
}

/** Mean softmax cross-entropy gradient plus l2·W (biases unpenalised), written into `g`. */
function gradient(w: Float64Array, x: Float64Array, y: number[], n: number, D: number, E: number, l2: number, g: Float64Array): void {
  g.fill(0);
  const p = new Float64Array(E);
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let e = 0; e < E; e++) {
      let z = 0;
      for (let d = 0; d < D; d++) z += x[r * D + d]! * w[d * E + e]!;
      p[e] = z;
      max = Math.max(max, z);
    }
    let sum = 0;
    for (let e = 0; e < E; e++) sum += (p[e] = Math.exp(p[e]! - max));
    for (let e = 0; e < E; e++) {
      const err = (p[e]! / sum - (y[r] === e ? 1 : 0)) / n;
      for (let d = 0; d < D; d++) g[d * E + e]! += x[r * D + d]! * err;
    }
  }
  for (let d = 0; d < D - 1; d++) for (let e = 0; e < E; e++) g[d * E + e]! += l2 * w[d * E + e]!;
}

/** Largest eigenvalue of XᵀX/n by power iteration (a lower estimate, hence the margin above). */
function topEigen(x: Float64Array, n: number, D: number): number {
  let v = new Float64Array(D).fill(1 / Math.sqrt(D));
  let lambda = 0;
  for (let it = 0; it < 100; it++) {
    const u = new Float64Array(D);
    for (let r = 0; r < n; r++) {
      let xv = 0;
      for (let d = 0; d < D; d++) xv += x[r * D + d]! * v[d]!;
      for (let d = 0; d < D; d++) u[d]! += (x[r * D + d]! * xv) / n;
    }
    lambda = Math.hypot(...u);
    if (lambda === 0) return 0;
    v = u.map((a) => a / lambda);
  }
  return lambda;
}

function argmaxRow(x: Float64Array, w: Float64Array, r: number, D: number, E: number): number {
  let best = 0;
  let bestZ = -Infinity;
  for (let e = 0; e < E; e++) {
    let z = 0;
    for (let d = 0; d < D; d++) z += x[r * D + d]! * w[d * E + e]!;
    if (z > bestZ) [best, bestZ] = [e, z];
  }
  return best;
}

/**
 * A closed-form linear probe for live use: class means and a pooled diagonal variance from the
 * training half (shared-diagonal-covariance LDA, a linear decision rule), accuracy on the other
 * half. O(M·H) instead of an iterative fit, so it can run at every checkpoint; it under-uses
 * correlated features, so treat it as a lower bound on what the logistic probe would decode.
 */
export function ldaDecodability(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, E?: number): number {
  expectShape("x", x, { M, H });
  const nEnv = expectLabels(labels, M, E);
  // class means, the pooled variance with its floor 1e-6·mean + 1e-12 (units with no spread still
  // count, barely) and the nearest-mean hits, in the Wasm kernel: the numbers of the plain loops
  // (every sum in the same order), but at full speed from the first call, where JavaScript loops
  // ran interpreted for the first checkpoint's ~16 calls (~40 ms of a run's first checkpoint)
  const { hits, test } = ldaHits(x, labels, M, H, nEnv);
  return fraction(hits, test);
}

/**
 * a / b, divided as float64 values read from a Float64Array: the same number, but the division never
 * sees two small integers, so V8 never compiles it as an integer division that must bail out when the
 * answer is a fraction (as an accuracy of 1 at the first checkpoints, then 0.97, did: a deoptimisation
 * on every call, each one back in the interpreter).
 */
export function fraction(a: number, b: number): number {
  const ab = new Float64Array(2);
  ab[0] = a;
  ab[1] = b;
  return ab[0]! / ab[1]!;
}
