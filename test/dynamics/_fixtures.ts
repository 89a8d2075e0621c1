// Known-answer fixtures shared by the dynamics tests: quadratic losses with a chosen spectrum.
import { numpy as np } from "@jax-js/jax";
import { Rng } from "../../src/util/rng.ts";

/** Parameters split over two leaves, so every measurement is exercised on a real pytree. */
export type QParams = { a: np.Array; b: np.Array }; // a: [2], b: [d - 2]
export type QBatch = { A: np.Array }; // [d, d]

/** L(w) = ½ wᵀ A w with w = concat(a, b). */
export function quadratic(p: QParams, batch: QBatch): np.Array {
  const w = np.concatenate([p.a, p.b]); // [d]
  return w.ref.mul(np.matmul(batch.A, w)).sum().mul(0.5);
}

/** Symmetric A = Q diag(eigs) Qᵀ with a seeded random orthogonal Q (Gram–Schmidt), row-major. */
export function symmetric(eigs: number[], seed: number): Float64Array {
  const d = eigs.length;
  const rng = new Rng(seed);
  const q: Float64Array[] = [];
  while (q.length < d) {
    const v = Float64Array.from({ length: d }, () => rng.normal());
    for (const u of q) {
      const c = u.reduce((s, ui, i) => s + ui * v[i]!, 0);
      for (let i = 0; i < d; i++) v[i]! -= c * u[i]!;
    }
    const n = Math.hypot(...v);
    q.push(v.map((x) => x / n));
  }
  const A = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) A[i * d + j] = q.reduce((s, u, k) => s + eigs[k]! * u[i]! * u[j]!, 0);
  return A;
}

export const toBatch = (A: Float64Array, d: number): QBatch => ({
  A: np.array(Float32Array.from(A), { shape: [d, d] }),
});

export const qParams = (w: number[]): QParams => ({ a: np.array(w.slice(0, 2)), b: np.array(w.slice(2)) });

/** y = A x on the JS side, for analytic answers. */
export function matvec(A: ArrayLike<number>, x: ArrayLike<number>): number[] {
  const d = x.length;
  return Array.from({ length: d }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += A[i * d + j]! * x[j]!;
    return s;
  });
}
