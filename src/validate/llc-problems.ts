// The synthetic models whose learning coefficient is known (llc-answers.ts), each with its data
// and its true parameter w*, ready for `llc(loss, params, batch, { n })`:
//   - linear regression with d parameters (regular: λ = d/2);
//   - the normal crossing y = x ∏ w_i^{k_i} + noise at the truth w = 0 (λ = 1/(2 max k));
//   - reduced-rank regression y = B A x at a true map of rank r (Aoyagi & Watanabe 2005).
// A problem owns its arrays (llc borrows them); `dispose` frees them.
import { numpy as np, tree } from "@jax-js/jax";
import type { Loss, Params } from "../dynamics/index.ts";
import { Rng } from "../util/rng.ts";
import { aoyagi, crossingTarget } from "./llc-answers.ts";

export interface LlcProblem<P extends Params, B extends Params> {
  loss: Loss<P, B>;
  params: P; // w*, the point whose LLC is measured
  batch: B;
  n: number; // rows behind L_n (the estimator's temperature n/log n reads it)
  dispose(): void;
}

const problemDefaults = {
  n: 1000, // dataset size: the known-answer tests' and the validation suite's
};

/**
 * Linear regression with d standard-normal inputs, y = x₀ − ½ x_{d−1} + N(0, 1), at the
 * least-squares fit; L_n = mean ½ (y − x·w)², the Gaussian NLL up to a constant. λ = d/2.
 */
export function linearRegression(d: number, o: { n?: number; seed?: number } = {}): LlcProblem<{ w: np.Array }, { x: np.Array; y: np.Array }> & { lambda: number } {
  const n = o.n ?? problemDefaults.n;
  const rng = new Rng(o.seed ?? 5, d);
  const X = Float32Array.from({ length: n * d }, () => rng.normal()); // [n, d]
  const Y = Float32Array.from({ length: n }, (_, i) => X[i * d]! - 0.5 * X[i * d + d - 1]! + rng.normal()); // [n]
  const batch = { x: np.array(X, { shape: [n, d] }), y: np.array(Y) };
  const params = { w: np.linalg.lstsq(batch.x.ref, batch.y.ref.reshape([n, 1])).reshape([d]) }; // [d]
  const loss = (p: { w: np.Array }, b: typeof batch) => np.square(np.matmul(b.x, p.w).sub(b.y)).mean().mul(0.5);
  return { loss, params, batch, n, lambda: d / 2, dispose: () => tree.dispose([batch, params]) };
}

/**
 * The normal crossing y = x ∏ w_i^{k_i} + noise with x and the noise standard normal, so the truth
 * is w = 0 (y = noise); L_n = mean ½ (y − x f(w))². λ = 1/(2 max k) as n → ∞; `target(γ, nβ)` is
 * the finite-n value on this very dataset, by quadrature (one or two factors).
 */
export function normalCrossing(ks: readonly number[], o: { n?: number; seed?: number } = {}): LlcProblem<{ w: np.Array }, { x: np.Array; y: np.Array }> & {
  lambda: number; sxx: number; sxy: number; target: (gamma: number, nBeta: number) => number;
} {
  const { n, X, Y, sxx, sxy } = crossingData(o);
  const batch = { x: np.array(X), y: np.array(Y) };
  const loss = (p: { w: np.Array }, b: typeof batch) => {
    let f = np.ones([]);
    ks.forEach((k, i) => {
      for (let j = 0; j < k; j++) f = f.mul(p.w.ref.slice(i));
    });
    p.w.dispose();
    return np.square(b.y.sub(b.x.mul(f))).mean().mul(0.5);
  };
  const params = { w: np.zeros([ks.length]) };
  return {
    loss, params, batch, n, sxx, sxy, lambda: 1 / (2 * Math.max(...ks)),
    target: (gamma, nBeta) => crossingTarget(ks, sxx, sxy, gamma, nBeta),
    dispose: () => tree.dispose([batch, params]),
  };
}

/** The normal crossing's dataset (x and y independent standard normals) and its moments, without jax-js. */
export function crossingData(o: { n?: number; seed?: number } = {}): { n: number; X: Float32Array; Y: Float32Array; sxx: number; sxy: number } {
  const n = o.n ?? problemDefaults.n;
  const rng = new Rng(o.seed ?? 7);
  const X = Float32Array.from({ length: n }, () => rng.normal()); // [n]
  const Y = Float32Array.from({ length: n }, () => rng.normal()); // [n]
  return { n, X, Y, sxx: X.reduce((s, x) => s + x * x, 0) / n, sxy: X.reduce((s, x, i) => s + x * Y[i]!, 0) / n };
}

/**
 * Reduced-rank regression y = B A x (A: H×M, B: N×H) at a true map T of rank r (random first r
 * units, the other units zero). K(w) = ½ ‖BA − T‖²_F: the population loss for whitened inputs and
 * unit noise, so w* is an exact minimum and nothing but the temperature separates λ̂ from λ.
 */
export function reducedRank(M: number, N: number, H: number, r: number, o: { n?: number; seed?: number } = {}): LlcProblem<{ a: np.Array; b: np.Array }, Record<string, never>> & { lambda: number; multiplicity: number } {
  const { lambda, m } = aoyagi(M, N, H, r); // validates the shape
  const rng = new Rng(o.seed ?? 11, M, N, H, r);
  const A = new Float32Array(H * M), B = new Float32Array(N * H); // [H, M], [N, H]
  for (let i = 0; i < r; i++) for (let j = 0; j < M; j++) A[i * M + j] = rng.normal();
  for (let i = 0; i < N; i++) for (let j = 0; j < r; j++) B[i * H + j] = rng.normal();
  const params = { a: np.array(A, { shape: [H, M] }), b: np.array(B, { shape: [N, H] }) };
  const T = np.matmul(params.b.ref, params.a.ref); // [N, M]
  const loss = (p: typeof params, _: Record<string, never>) => np.square(np.matmul(p.b, p.a).sub(T.ref)).sum().mul(0.5);
  return { loss, params, batch: {}, n: o.n ?? problemDefaults.n, lambda, multiplicity: m, dispose: () => tree.dispose([params, T]) };
}
