// Internal: the little dense linear algebra the metrics need, in float64. Not re-exported.
import { columnGram, rowGram } from "../kernels/linalg.ts";

// Row Gram X Xᵀ [M][M] of x [M][H], each entry summed over h in order: the Wasm kernel
// (src/kernels/linalg.c), the numbers of the plain JavaScript loop it replaced
export { rowGram };

/** Copy of `x` `[M][H]` with each column's mean subtracted. */
export function centerColumns(x: ArrayLike<number>, M: number, H: number): Float64Array {
  const out = Float64Array.from(x);
  for (let j = 0; j < H; j++) {
    let mu = 0;
    for (let i = 0; i < M; i++) mu += out[i * H + j]!;
    mu /= M;
    for (let i = 0; i < M; i++) out[i * H + j]! -= mu;
  }
  return out;
}

/** Cross-product Aᵀ B of `a` `[M][P]` and `b` `[M][Q]`, returned as `[P][Q]`. */
export function crossProduct(a: ArrayLike<number>, b: ArrayLike<number>, M: number, P: number, Q: number): Float64Array {
  if (a === b && P === Q && allFinite(a, M * P)) return selfCrossProduct(a, M, P);
  const out = new Float64Array(P * Q);
  for (let i = 0; i < M; i++) {
    for (let p = 0; p < P; p++) {
      const ap = a[i * P + p]!;
      if (ap === 0) continue;
      for (let q = 0; q < Q; q++) out[p * Q + q]! += ap * b[i * Q + q]!;
    }
  }
  return out;
}

/**
 * AᵀA of finite `a` [M][P]: entry (p, q) summed over the rows in order, as crossProduct sums it
 * (the Wasm kernel's column Gram). The same numbers: for finite input, the zero terms crossProduct
 * skips add ±0 to a sum that starts at +0, which changes nothing.
 */
function selfCrossProduct(a: ArrayLike<number>, M: number, P: number): Float64Array {
  return columnGram(a, M, P);
}

function allFinite(a: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** The smaller Gram matrix of `x` `[M][H]`: XᵀX `[H][H]` if H <= M, else XXᵀ `[M][M]`. Same non-zero spectrum. */
export function smallGram(x: ArrayLike<number>, M: number, H: number): { g: Float64Array; n: number } {
  if (H <= M) return { g: crossProduct(x, x, M, H, H), n: H };
  return { g: rowGram(x, M, H), n: M };
}

/**
 * Eigenvalues of a symmetric n×n matrix by cyclic Jacobi rotations (Golub & Van Loan §8.5),
 * sorted descending. Converges quadratically; a handful of sweeps for n <= 256.
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number, maxSweeps = 50): Float64Array {
  if (matrix.length !== n * n) throw new RangeError(`symmetricEigenvalues: expected length ${n * n}, got ${matrix.length}`);
  const a = Float64Array.from(matrix);
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i]! * a[i]!;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        // rotation angle that zeroes a[p][q]: t = tan θ, the smaller root of t² + 2τt - 1 = 0
        const tau = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // columns p, q
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          // rows p, q
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const eig = Float64Array.from({ length: n }, (_, i) => a[i * n + i]!);
  return eig.sort().reverse();
}
