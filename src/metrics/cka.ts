// Representational similarity by linear centred kernel alignment (Kornblith et al. 2019).

import { centerColumns, crossProduct } from "./_linalg.ts";
import { expectShape } from "./_shape.ts";

/**
 * Linear CKA between `x` `[M][H1]` and `y` `[M][H2]` (rows are the same M inputs), in [0, 1]:
 * ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on column-centred X, Y (the HSIC form). NaN if either is constant.
 * Invariant to orthogonal transforms and isotropic scaling of either side.
 */
export function linearCka(x: ArrayLike<number>, y: ArrayLike<number>, M: number, H1: number, H2: number): number {
  expectShape("x", x, { M, H1 });
  expectShape("y", y, { M, H2 });
  const xc = centerColumns(x, M, H1);
  const yc = centerColumns(y, M, H2);
  const hsic = (a: Float64Array, b: Float64Array, P: number, Q: number) => sumSquares(crossProduct(a, b, M, P, Q));
  const xy = hsic(xc, yc, H1, H2);
  const xx = hsic(xc, xc, H1, H1);
  const yy = hsic(yc, yc, H2, H2);
  if (xx === 0 || yy === 0) return NaN;
  return Math.min(1, xy / Math.sqrt(xx * yy));
}

function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}
