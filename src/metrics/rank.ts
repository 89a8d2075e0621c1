// Effective rank of a representation matrix (Roy & Vetterli 2007).

import { crossProduct, rowGram, smallGram, symmetricEigenvalues } from "./_linalg.ts";
import { centreColumns } from "./cka.ts";
import { expectShape } from "./_shape.ts";

export { rowGram }; // X Xᵀ of the rows (the live metrics' Gram, src/kernels/linalg.c)

/** Singular values of `x` `[M][H]`, descending: square roots of the smaller Gram matrix's eigenvalues. */
export function singularValues(x: ArrayLike<number>, M: number, H: number): Float64Array {
  expectShape("x", x, { M, H });
  const { g, n } = smallGram(x, M, H);
  const eig = symmetricEigenvalues(g, n);
  const floor = n * Number.EPSILON * Math.max(eig[0] ?? 0, 0); // round-off level of the Gram's spectrum
  return eig.map((l) => (l > floor ? Math.sqrt(l) : 0));
}

/**
 * Effective rank: exp(-Σ p_i ln p_i) with p_i = σ_i / Σ_j σ_j (Roy & Vetterli 2007), in [1, min(M, H)];
 * 0 for the zero matrix. Not centred: centre the columns first to measure the spread around the mean.
 */
export function effectiveRank(x: ArrayLike<number>, M: number, H: number): number {
  const sv = singularValues(x, M, H);
  const total = sv.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let h = 0;
  for (const s of sv) if (s > 0) h -= (s / total) * Math.log(s / total);
  return Math.exp(h);
}

/**
 * Participation ratio (Σλ)² / Σλ² of the covariance of `x` `[M][H]` (Gao et al. 2017): an effective
 * dimensionality from the Gram matrix alone (tr G² = ‖G‖²_F), no eigensolver, cheap enough to
 * track at every checkpoint. Columns are centred. 0 for a constant matrix.
 */
export function participationRatio(x: ArrayLike<number>, M: number, H: number): number {
  return centredParticipationRatio(centreColumns(x, M, H), M, H);
}

/** participationRatio of `xc` [M][H] whose columns are centred already (centreColumns), e.g. shared with CKA's row Gram. */
export function centredParticipationRatio(xc: Float64Array, M: number, H: number): number {
  const n = Math.min(M, H);
  const g = M < H ? rowGram(xc, M, H) : crossProduct(xc, xc, M, H, H); // the smaller Gram: same spectrum
  let tr = 0;
  for (let i = 0; i < n; i++) tr += g[i * n + i]!;
  const fro = sumOfSquares(g);
  return fro > 0 ? (tr * tr) / fro : 0;
}

/** Σ a_i² in order. A function of its own: V8 compiled the long loop inline mid-call (on-stack replacement) before the comparison after it had ever run, and bailed out there at every call. */
function sumOfSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}
