// Representational similarity by linear centred kernel alignment (Kornblith et al. 2019).

import { crossProduct, rowGram } from "./_linalg.ts";
import { expectShape } from "./_shape.ts";

/**
 * Linear CKA between `x` `[M][H1]` and `y` `[M][H2]` (rows are the same M inputs), in [0, 1]:
 * ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on column-centred X, Y (the HSIC form). NaN if either is constant.
 * Invariant to orthogonal transforms and isotropic scaling of either side.
 */
export function linearCka(x: ArrayLike<number>, y: ArrayLike<number>, M: number, H1: number, H2: number): number {
  expectShape("x", x, { M, H1 });
  expectShape("y", y, { M, H2 });
  // Fewer inputs than units: the same quantities from the M×M row Grams, ‖YᵀX‖² = ⟨XXᵀ, YYᵀ⟩.
  if (ckaUsesRowGrams(M, H1, H2)) return ckaOfRowGrams(centredRowGram(x, M, H1), centredRowGram(y, M, H2));
  const xc = centreColumns(x, M, H1);
  const yc = centreColumns(y, M, H2);
  const hsic = (a: Float64Array, b: Float64Array, P: number, Q: number) => sumSquares(crossProduct(a, b, M, P, Q));
  const xy = hsic(xc, yc, H1, H2);
  const xx = hsic(xc, xc, H1, H1);
  const yy = hsic(yc, yc, H2, H2);
  if (xx === 0 || yy === 0) return NaN;
  return Math.min(1, xy / Math.sqrt(xx * yy));
}

/** Whether linearCka works from the M×M row Grams (cheaper when M is small against H1, H2). */
export function ckaUsesRowGrams(M: number, H1: number, H2: number): boolean {
  return M * (H1 + H2) < H1 * H1 + H2 * H2 + H1 * H2;
}

/** One side of linearCka's row-Gram form: the row Gram Xc Xcᵀ [M][M] of column-centred `x` [M][H] and its ‖·‖²_F; kept, it lets a caller compare one matrix with many without recomputing it. */
export function centredRowGram(x: ArrayLike<number>, M: number, H: number): { k: Float64Array; ss: number } {
  return rowGramOfCentred(centreColumns(x, M, H), M, H);
}

/** centredRowGram of `xc` [M][H] whose columns are centred already (centreColumns): one centring can serve several measures. */
export function rowGramOfCentred(xc: Float64Array, M: number, H: number): { k: Float64Array; ss: number } {
  const k = rowGram(xc, M, H);
  return { k, ss: sumSquares(k) };
}

/**
 * `x` [M][H] with each column's mean subtracted, in float64 (into `out` when given): each mean
 * summed over the rows in order and divided by M, as every centring here has always done (the
 * same numbers), four columns at a time (four independent sums in registers, on shared cache lines).
 */
export function centreColumns(x: ArrayLike<number>, M: number, H: number, out = new Float64Array(M * H)): Float64Array {
  expectShape("x", x, { M, H });
  if (out.length < M * H) throw new RangeError(`centreColumns: expected room for ${M * H} entries, got ${out.length}`);
  if (x instanceof Float32Array || x instanceof Float64Array) out.set(x);
  else for (let k = 0; k < M * H; k++) out[k] = x[k]!;
  const n = M * H;
  let j = 0;
  for (; j + 4 <= H; j += 4) {
    let m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    for (let o = j; o < n; o += H) { m0 += out[o]!; m1 += out[o + 1]!; m2 += out[o + 2]!; m3 += out[o + 3]!; }
    m0 /= M; m1 /= M; m2 /= M; m3 /= M;
    for (let o = j; o < n; o += H) { out[o]! -= m0; out[o + 1]! -= m1; out[o + 2]! -= m2; out[o + 3]! -= m3; }
  }
  for (; j < H; j++) {
    let mu = 0;
    for (let o = j; o < n; o += H) mu += out[o]!;
    mu /= M;
    for (let o = j; o < n; o += H) out[o]! -= mu;
  }
  return out;
}

/** Linear CKA from two centredRowGram results of the same M rows: the very number linearCka returns for them. */
export function ckaOfRowGrams(x: { k: Float64Array; ss: number }, y: { k: Float64Array; ss: number }): number {
  if (x.k.length !== y.k.length) throw new RangeError(`ckaOfRowGrams: Grams of ${x.k.length} and ${y.k.length} entries`);
  const kx = x.k, ky = y.k;
  let xy = 0;
  for (let i = 0; i < kx.length; i++) xy += kx[i]! * ky[i]!;
  if (x.ss === 0 || y.ss === 0) return NaN;
  return Math.min(1, xy / Math.sqrt(x.ss * y.ss));
}

function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}
