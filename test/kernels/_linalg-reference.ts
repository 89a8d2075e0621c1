// The JavaScript that src/kernels/linalg.wasm replaced, kept verbatim as the reference the kernel
// must match bit for bit (test/kernels/linalg.test.ts): rowGram from src/metrics/_linalg.ts and
// plasticity's effectiveRankFast with its tred2 + tqli eigensolver, as of commit 871f9a6.

/** Row Gram matrix X Xᵀ `[M][M]` of `x` `[M][H]` (symmetric; rows are contiguous, so this is fast). */
export function rowGram(x: Float64Array, M: number, H: number): Float64Array {
  const g = new Float64Array(M * M);
  for (let i = 0; i < M; i++) {
    const a = i * H;
    let j = 0;
    // four dot products at once, each summed in its own order: independent chains of additions
    // keep the CPU busy (a dot product alone waits on each addition) and round exactly as one at a time
    for (; j + 3 <= i; j += 4) {
      const b0 = j * H, b1 = b0 + H, b2 = b1 + H, b3 = b2 + H;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let h = 0; h < H; h++) {
        const v = x[a + h]!;
        s0 += v * x[b0 + h]!;
        s1 += v * x[b1 + h]!;
        s2 += v * x[b2 + h]!;
        s3 += v * x[b3 + h]!;
      }
      g[i * M + j] = g[j * M + i] = s0;
      g[i * M + j + 1] = g[(j + 1) * M + i] = s1;
      g[i * M + j + 2] = g[(j + 2) * M + i] = s2;
      g[i * M + j + 3] = g[(j + 3) * M + i] = s3;
    }
    for (; j <= i; j++) {
      let s = 0;
      const b = j * H;
      for (let h = 0; h < H; h++) s += x[a + h]! * x[b + h]!;
      g[i * M + j] = g[j * M + i] = s;
    }
  }
  return g;
}

/** crossProduct(a, a) of finite `a` [M][P] as _linalg.ts computed it: AᵀA, the row Gram of Aᵀ. */
export function selfCrossProduct(a: ArrayLike<number>, M: number, P: number): Float64Array {
  const t = new Float64Array(P * M); // Aᵀ [P][M]
  for (let i = 0; i < M; i++) for (let p = 0; p < P; p++) t[p * M + i] = a[i * P + p]!;
  return rowGram(t, P, M);
}

/**
 * Effective rank exp(−Σ p_i ln p_i), p_i = σ_i / Σ_j σ_j, of `x` [M, H] (Roy & Vetterli 2007), uncentred
 * as Dohare et al. use it: in [1, min(M, H)], 0 for the zero matrix. The same number as rank.ts's
 * `effectiveRank`, whose Jacobi eigensolver takes about 0.1–0.5 s on a 128×128 Gram matrix; here
 * Householder tridiagonalisation and implicit QL take milliseconds, so it runs at every checkpoint.
 * NaN if `x` holds a non-finite value.
 */
export function effectiveRankFast(x: ArrayLike<number>, M: number, H: number): number {
  for (let i = 0; i < M * H; i++) if (!Number.isFinite(x[i]!)) return NaN; // a diverged model
  const n = Math.min(M, H); // the smaller Gram matrix: XᵀX [H, H] or XXᵀ [M, M], same non-zero spectrum
  let g: Float64Array;
  if (M >= H) {
    const xt = new Float64Array(H * M); // Xᵀ: the columns of X as rows
    for (let i = 0; i < M; i++) for (let a = 0; a < H; a++) xt[a * M + i] = x[i * H + a]!;
    g = rowGram(xt, H, M);
  } else g = rowGram(Float64Array.from(x), M, H);
  const eig = symmetricEigenvalues(g, n);
  const top = Math.max(0, ...eig), floor = n * Number.EPSILON * top; // round-off level of the Gram's spectrum
  const sv = Array.from(eig, (l) => (l > floor ? Math.sqrt(l) : 0));
  const total = sv.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let h = 0;
  for (const v of sv) if (v > 0) h -= (v / total) * Math.log(v / total);
  return Math.exp(h);
}


/** Eigenvalues of the symmetric `a` [n, n] (overwritten): Householder to tridiagonal form, then implicit QL with Wilkinson shifts (Numerical Recipes' tred2 and tqli, eigenvalues only). */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n), e = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0, scale = 0;
    if (l > 0) {
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * n + k]!);
      if (scale === 0) e[i] = a[i * n + l]!;
      else {
        for (let k = 0; k <= l; k++) {
          a[i * n + k]! /= scale;
          h += a[i * n + k]! ** 2;
        }
        let f = a[i * n + l]!;
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * n + l] = f - g;
        f = 0;
        // (A·u)_j for two rows j, j+1 at once: two independent chains of additions, each in the
        // order of the one-row loop below, so the same numbers about twice as fast
        const ri = i * n;
        let j = 0;
        for (; j + 1 <= l; j += 2) {
          const r0 = j * n, r1 = r0 + n;
          let g0 = 0, g1 = 0;
          for (let k = 0; k <= j; k++) {
            const v = a[ri + k]!;
            g0 += a[r0 + k]! * v;
            g1 += a[r1 + k]! * v;
          }
          const v1 = a[ri + j + 1]!;
          g0 += a[r1 + j]! * v1; // k = j + 1: column j for row j, row j + 1 still in its lower triangle
          g1 += a[r1 + j + 1]! * v1;
          for (let k = j + 2; k <= l; k++) {
            const v = a[ri + k]!, r = k * n;
            g0 += a[r + j]! * v;
            g1 += a[r + j + 1]! * v;
          }
          e[j] = g0 / h;
          f += e[j]! * a[ri + j]!;
          e[j + 1] = g1 / h;
          f += e[j + 1]! * a[ri + j + 1]!;
        }
        for (; j <= l; j++) {
          g = 0;
          for (let k = 0; k <= j; k++) g += a[j * n + k]! * a[i * n + k]!;
          for (let k = j + 1; k <= l; k++) g += a[k * n + j]! * a[i * n + k]!;
          e[j] = g / h;
          f += e[j]! * a[i * n + j]!;
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          f = a[i * n + j]!;
          e[j] = g = e[j]! - hh * f;
          for (let k = 0; k <= j; k++) a[j * n + k]! -= f * e[k]! + g * a[i * n + k]!;
        }
      }
    } else e[i] = a[i * n + l]!;
    d[i] = h;
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i]!;
  // implicit QL on the tridiagonal (d diagonal, e sub-diagonal)
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) if (Math.abs(e[m]!) <= Number.EPSILON * (Math.abs(d[m]!) + Math.abs(d[m + 1]!))) break;
      if (m === l) break;
      if (iter === 60) throw new Error(`effective rank: QL did not converge (eigenvalue ${l} of ${n})`);
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!), r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0, i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i]!, b = c * e[i]!;
        e[i + 1] = r = Math.hypot(f, g);
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        d[i + 1] = g + (p = s * r);
        g = c * r - b;
      }
      if (r === 0 && i >= l) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d.sort().reverse();
}
