// Effective rank of a representation matrix (Roy & Vetterli 2007).

import { smallGram, symmetricEigenvalues } from "./_linalg.ts";
import { expectShape } from "./_shape.ts";

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
