// The float64 linear algebra of the live metrics: Gram matrices and the eigenvalues of a symmetric
// matrix (Householder tridiagonalisation + implicit QL). Compiled to wasm32 + 128-bit SIMD by
// scripts/build-kernel.sh; no libc. The numbers are bit for bit those of the JavaScript this
// replaces (test/kernels/_linalg-reference.ts): Wasm's f64 add, mul, div and sqrt are IEEE-exact,
// wasm32 has no fused multiply-add to contract into, every sum keeps the JavaScript's order of
// additions, and SIMD runs only across independent outputs (each lane sums in that same order).
#include <wasm_simd128.h>

typedef unsigned int u32;
typedef v128_t f64x2;

// ---- memory: the host lays out its arrays from the heap base; this makes room for them ----
extern unsigned char __heap_base;

// → the 64-byte aligned start of `bytes` free bytes of linear memory, 0 if it cannot grow that far
__attribute__((export_name("reserve"))) u32 reserve(u32 bytes) {
  u32 p = ((u32)&__heap_base + 63) & ~63u;
  u32 end = p + bytes, have = __builtin_wasm_memory_size(0) * 65536u;
  if (end < p) return 0;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (unsigned long)-1) return 0;
  return p;
}

static inline double d_abs(double x) { return __builtin_fabs(x); }
static inline double d_sqrt(double x) { return __builtin_sqrt(x); }
static inline f64x2 splat(double v) { return wasm_f64x2_splat(v); }
static inline f64x2 ld(const double *p) { return wasm_v128_load(p); }
static inline void st(double *p, f64x2 v) { wasm_v128_store(p, v); }
static inline f64x2 madd(f64x2 acc, f64x2 a, f64x2 b) { return wasm_f64x2_add(acc, wasm_f64x2_mul(a, b)); }

// ---- Gram matrices ----

// G = XᵀX [P][P] of x [R][P] (P a multiple of 4, rows `stride` apart): entry (a, b) is
// Σ_r x[r][a]·x[r][b] added in the order r = 0, 1, …, starting from +0, as the JavaScript's
// dot product of two rows of Xᵀ adds it. Blocks of 4×4 entries (eight f64x2 accumulators) on and
// above the diagonal; each entry is written to (a, b) and (b, a), the same number both ways since
// x[r][a]·x[r][b] = x[r][b]·x[r][a]. `out` is [P][P] with row length `n` (n ≥ P: padding is dropped).
static void gram_cols(const double *x, u32 R, u32 P, u32 stride, double *out, u32 n, u32 keep) {
  for (u32 a = 0; a < P; a += 4) {
    for (u32 b = a; b < P; b += 4) {
      f64x2 s00 = splat(0), s01 = splat(0), s10 = splat(0), s11 = splat(0);
      f64x2 s20 = splat(0), s21 = splat(0), s30 = splat(0), s31 = splat(0);
      const double *xr = x;
      for (u32 r = 0; r < R; r++, xr += stride) {
        f64x2 v0 = ld(xr + b), v1 = ld(xr + b + 2), u;
        u = splat(xr[a]);     s00 = madd(s00, u, v0); s01 = madd(s01, u, v1);
        u = splat(xr[a + 1]); s10 = madd(s10, u, v0); s11 = madd(s11, u, v1);
        u = splat(xr[a + 2]); s20 = madd(s20, u, v0); s21 = madd(s21, u, v1);
        u = splat(xr[a + 3]); s30 = madd(s30, u, v0); s31 = madd(s31, u, v1);
      }
      double blk[4][4];
      st(&blk[0][0], s00); st(&blk[0][2], s01); st(&blk[1][0], s10); st(&blk[1][2], s11);
      st(&blk[2][0], s20); st(&blk[2][2], s21); st(&blk[3][0], s30); st(&blk[3][2], s31);
      for (u32 i = 0; i < 4 && a + i < keep; i++)
        for (u32 j = 0; j < 4 && b + j < keep; j++) out[(a + i) * n + b + j] = out[(b + j) * n + a + i] = blk[i][j];
    }
  }
}

// x [R][P] → t [R][Pp], Pp = P rounded up to 4, zero columns appended (a zero column only adds
// entries to the Gram that are dropped)
static u32 pad4(const double *x, u32 R, u32 P, double *t) {
  u32 Pp = (P + 3) & ~3u;
  for (u32 r = 0; r < R; r++) {
    for (u32 p = 0; p < P; p++) t[r * Pp + p] = x[r * P + p];
    for (u32 p = P; p < Pp; p++) t[r * Pp + p] = 0;
  }
  return Pp;
}

// XᵀX [P][P] of x [R][P] into g; scratch holds R·(P + 3) doubles
__attribute__((export_name("colGram"))) void col_gram(const double *x, u32 R, u32 P, double *scratch, double *g) {
  if (P % 4 == 0) gram_cols(x, R, P, P, g, P, P);
  else gram_cols(scratch, R, pad4(x, R, P, scratch), (P + 3) & ~3u, g, P, P);
}

// X Xᵀ [M][M] of x [M][H] into g, through the transpose: scratch holds H·(M + 3) doubles
__attribute__((export_name("rowGram"))) void row_gram(const double *x, u32 M, u32 H, double *scratch, double *g) {
  u32 Mp = (M + 3) & ~3u;
  for (u32 h = 0; h < H; h++) {
    for (u32 i = 0; i < M; i++) scratch[h * Mp + i] = x[i * H + h];
    for (u32 i = M; i < Mp; i++) scratch[h * Mp + i] = 0;
  }
  gram_cols(scratch, H, Mp, Mp, g, M, M);
}

// ---- eigenvalues ----

// Math.hypot(a, b) exactly as V8 computes it (src/builtins/math.tq, MathHypot): an infinite
// argument wins over NaN, 0 if both are zero, otherwise a Kahan-compensated sum of the squares
// scaled by the larger magnitude.
__attribute__((export_name("hypot"))) double js_hypot(double a, double b) {
  double x = d_abs(a), y = d_abs(b);
  if (x == __builtin_inf() || y == __builtin_inf()) return __builtin_inf();
  if (x != x || y != y) return __builtin_nan("");
  double max = 0;
  if (x > max) max = x;
  if (y > max) max = y;
  if (max == 0) return 0;
  double sum = 0, comp = 0, v[2] = {x, y};
  for (int i = 0; i < 2; i++) {
    double n = v[i] / max, summand = n * n - comp, pre = sum + summand;
    comp = (pre - sum) - summand;
    sum = pre;
  }
  return d_sqrt(sum) * max;
}

// Householder reduction of the symmetric a [n][n] (lower triangle read, whole matrix overwritten)
// to tridiagonal form: diagonal into d, sub-diagonal into e[1..n-1] (Numerical Recipes' tred2,
// eigenvalues only). The matrix is kept whole (each lower entry mirrored above the diagonal), so
// the matrix-vector product runs along contiguous rows: y[j] += u[k]·A[k][j], k = 0, 1, … for
// every j, the order in which the JavaScript adds A[j][k]·u[k] along row j and down column j.
static void tred2(double *a, u32 n, double *d, double *e) {
  for (u32 i = 1; i < n; i++)
    for (u32 k = 0; k < i; k++) a[k * n + i] = a[i * n + k];
  for (u32 i = n - 1; i > 0 && n > 0; i--) {
    u32 l = i - 1, L = i; // L = l + 1 entries
    double *u = a + i * n, h = 0, scale = 0;
    if (l > 0) {
      for (u32 k = 0; k <= l; k++) scale += d_abs(u[k]);
      if (scale == 0) e[i] = u[l];
      else {
        for (u32 k = 0; k <= l; k++) {
          u[k] /= scale;
          h += u[k] * u[k];
        }
        double f = u[l], g = f >= 0 ? -d_sqrt(h) : d_sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        u[l] = f - g;
        // e[0..l] = A u: eight outputs at a time in registers, each summed over k in order
        u32 j = 0;
        for (; j + 8 <= L; j += 8) {
          f64x2 y0 = splat(0), y1 = splat(0), y2 = splat(0), y3 = splat(0);
          const double *ak = a + j;
          for (u32 k = 0; k <= l; k++, ak += n) {
            f64x2 uk = splat(u[k]);
            y0 = madd(y0, ld(ak), uk); y1 = madd(y1, ld(ak + 2), uk);
            y2 = madd(y2, ld(ak + 4), uk); y3 = madd(y3, ld(ak + 6), uk);
          }
          st(e + j, y0); st(e + j + 2, y1); st(e + j + 4, y2); st(e + j + 6, y3);
        }
        for (; j + 2 <= L; j += 2) {
          f64x2 y0 = splat(0);
          for (u32 k = 0; k <= l; k++) y0 = madd(y0, ld(a + k * n + j), splat(u[k]));
          st(e + j, y0);
        }
        for (; j < L; j++) {
          double y = 0;
          for (u32 k = 0; k <= l; k++) y += a[k * n + j] * u[k];
          e[j] = y;
        }
        f = 0;
        for (j = 0; j <= l; j++) {
          e[j] = e[j] / h;
          f += e[j] * u[j];
        }
        double hh = f / (h + h);
        for (j = 0; j <= l; j++) e[j] = e[j] - hh * u[j];
        // A[j][k] -= u[j]·e[k] + e[j]·u[k] over the whole block: symmetric, the mirror's two
        // products are the same two added the other way round
        for (j = 0; j <= l; j++) {
          double *aj = a + j * n;
          f64x2 fj = splat(u[j]), gj = splat(e[j]);
          u32 k = 0;
          for (; k + 2 <= L; k += 2)
            st(aj + k, wasm_f64x2_sub(ld(aj + k), wasm_f64x2_add(wasm_f64x2_mul(fj, ld(e + k)), wasm_f64x2_mul(gj, ld(u + k)))));
          for (; k < L; k++) aj[k] -= u[j] * e[k] + e[j] * u[k];
        }
      }
    } else e[i] = u[l];
    d[i] = h;
  }
  for (u32 i = 0; i < n; i++) d[i] = a[i * n + i];
}

// Eigenvalues (unsorted) of the symmetric a [n][n] into d; e is scratch [n]. → -1, or the index
// of the eigenvalue whose implicit QL iteration did not converge in 60 steps.
__attribute__((export_name("symEig"))) int sym_eig(double *a, u32 n, double *d, double *e) {
  tred2(a, n, d, e);
  for (u32 i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  const double eps = 2.220446049250313e-16; // Number.EPSILON
  for (int l = 0; l < (int)n; l++) {
    for (int iter = 0;; iter++) {
      int m = l;
      for (; m < (int)n - 1; m++) if (d_abs(e[m]) <= eps * (d_abs(d[m]) + d_abs(d[m + 1]))) break;
      if (m == l) break;
      if (iter == 60) return l;
      double g = (d[l + 1] - d[l]) / (2 * e[l]), r = js_hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      double s = 1, c = 1, p = 0;
      int i = m - 1;
      for (; i >= l; i--) {
        double f = s * e[i], b = c * e[i];
        e[i + 1] = r = js_hypot(f, g);
        if (r == 0) {
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        d[i + 1] = g + (p = s * r);
        g = c * r - b;
      }
      if (r == 0 && i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return -1;
}
