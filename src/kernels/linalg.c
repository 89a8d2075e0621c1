// The float64 linear algebra of the live metrics: Gram matrices and the eigenvalues of a symmetric
// matrix (Householder tridiagonalisation + implicit QL); and the routing and plasticity metrics'
// loops (LDA probe, selectivity, attribution, mask overlap, Σ|w|, dead units) and the representation
// metric's (centring, CKA, participation ratio), which as JavaScript ran interpreted through a run's
// first checkpoint. Compiled to wasm32 + 128-bit SIMD by
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
__attribute__((noinline)) static void gram_cols(const double *x, u32 R, u32 P, u32 stride, double *out, u32 n, u32 keep) {
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

// 1 if every one of x[0..len-1] is finite, else 0: x − x is ±0 for a finite x and NaN for ±Infinity
// or NaN, and a NaN anywhere makes the sum NaN
__attribute__((export_name("allFinite"))) int all_finite(const double *x, u32 len) {
  f64x2 s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
  u32 i = 0;
  for (; i + 8 <= len; i += 8) {
    f64x2 v0 = ld(x + i), v1 = ld(x + i + 2), v2 = ld(x + i + 4), v3 = ld(x + i + 6);
    s0 = wasm_f64x2_add(s0, wasm_f64x2_sub(v0, v0)); s1 = wasm_f64x2_add(s1, wasm_f64x2_sub(v1, v1));
    s2 = wasm_f64x2_add(s2, wasm_f64x2_sub(v2, v2)); s3 = wasm_f64x2_add(s3, wasm_f64x2_sub(v3, v3));
  }
  f64x2 s = wasm_f64x2_add(wasm_f64x2_add(s0, s1), wasm_f64x2_add(s2, s3));
  double t = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
  for (; i < len; i++) t += x[i] - x[i];
  return t == 0;
}

// ---- eigenvalues ----

// Math.hypot(a, b) exactly as V8 computes it (src/builtins/math.tq, MathHypot): an infinite
// argument wins over NaN, 0 if both are zero, otherwise a Kahan-compensated sum of the squares
// scaled by the larger magnitude. With two arguments that sum is max·√(1 + (min/max)²) bit for bit:
// the larger one's term is max/max = 1 exactly and every compensation is 0, so one division, and
// a shorter dependent chain for QL's rotations, which wait on it.
__attribute__((export_name("hypot"))) double js_hypot(double a, double b) {
  double x = d_abs(a), y = d_abs(b);
  if (x == __builtin_inf() || y == __builtin_inf()) return __builtin_inf();
  if (x != x || y != y) return __builtin_nan("");
  double max = x >= y ? x : y, min = x >= y ? y : x;
  if (max == 0) return 0;
  double q = min / max;
  return d_sqrt(1 + q * q) * max;
}

// Householder reduction of the symmetric a [n][n] (lower triangle read and updated; above the
// diagonal is never touched) to tridiagonal form: diagonal into d, sub-diagonal into e[1..n-1]
// (Numerical Recipes' tred2, eigenvalues only). Each sum adds in the JavaScript's order: the
// matrix-vector product (A u)_j = Σ_k A[j][k]·u[k] over k = 0, 1, …, taking A[j][k] for k > j from
// A[k][j]; the rank-2 update of the lower triangle only, where the JavaScript updates it.
static inline f64x2 lo2(f64x2 p, f64x2 q) { return wasm_i64x2_shuffle(p, q, 0, 2); } // [p0, q0]
static inline f64x2 hi2(f64x2 p, f64x2 q) { return wasm_i64x2_shuffle(p, q, 1, 3); } // [p1, q1]
// e[j0..j0+W-1] = (A u)_j of the symmetric a [n][n] (lower triangle) and u [l+1], j0 even, W even
// ≤ 8, j0 + W ≤ l + 1: each summed over k = 0, 1, …, l in order, W/2 lanes of two. For k < j0 the
// rows j0… read across (two k at a time, transposed in registers), then the W×W diagonal block
// made whole, then for k ≥ j0 + W row k's entries j0….
static inline __attribute__((always_inline)) void mv_block(const double *a, u32 n, const double *u, u32 j0, u32 l, double *e, const u32 W) {
  f64x2 y[4];
  for (u32 q = 0; q < W / 2; q++) y[q] = splat(0);
  const double *r = a + j0 * n;
  for (u32 k = 0; k < j0; k += 2) {
    f64x2 uk = splat(u[k]), uk1 = splat(u[k + 1]);
    for (u32 q = 0; q < W / 2; q++) {
      f64x2 v0 = ld(r + 2 * q * n + k), v1 = ld(r + (2 * q + 1) * n + k);
      y[q] = madd(madd(y[q], lo2(v0, v1), uk), hi2(v0, v1), uk1);
    }
  }
  double blk[8][8]; // blk[k - j0][j - j0] = A[k][j]
  for (u32 p = 0; p < W; p++)
    for (u32 q = 0; q < W; q++) blk[p][q] = p >= q ? r[p * n + q + j0] : r[q * n + p + j0];
  for (u32 p = 0; p < W; p++) {
    f64x2 uk = splat(u[j0 + p]);
    for (u32 q = 0; q < W / 2; q++) y[q] = madd(y[q], ld(blk[p] + 2 * q), uk);
  }
  const double *ak = a + (j0 + W) * n + j0;
  for (u32 k = j0 + W; k <= l; k++, ak += n) {
    f64x2 uk = splat(u[k]);
    for (u32 q = 0; q < W / 2; q++) y[q] = madd(y[q], ld(ak + 2 * q), uk);
  }
  for (u32 q = 0; q < W / 2; q++) st(e + j0 + 2 * q, y[q]);
}

static inline __attribute__((always_inline)) void tred2_n(double *a, u32 n, double *d, double *e) {
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
        // e[0..l] = A u: 8, then 2 outputs at a time in registers, then the last one if L is odd
        // (16 at a time spill registers and run slower)
        u32 j0 = 0;
        for (; j0 + 8 <= L; j0 += 8) mv_block(a, n, u, j0, l, e, 8);
        for (; j0 + 2 <= L; j0 += 2) mv_block(a, n, u, j0, l, e, 2);
        for (u32 j = j0; j < L; j++) {
          double y = 0;
          for (u32 k = 0; k <= j; k++) y += a[j * n + k] * u[k];
          for (u32 k = j + 1; k <= l; k++) y += a[k * n + j] * u[k];
          e[j] = y;
        }
        f = 0;
        for (u32 j = 0; j <= l; j++) {
          e[j] = e[j] / h;
          f += e[j] * u[j];
        }
        double hh = f / (h + h);
        for (u32 j = 0; j <= l; j++) e[j] = e[j] - hh * u[j];
        // A[j][k] -= u[j]·e[k] + e[j]·u[k] for k ≤ j; four rows together share the loads of e and u
        u32 j = 0;
        for (; j + 4 <= L; j += 4) {
          double *a0 = a + j * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
          f64x2 f0 = splat(u[j]), g0 = splat(e[j]), f1 = splat(u[j + 1]), g1 = splat(e[j + 1]);
          f64x2 f2 = splat(u[j + 2]), g2 = splat(e[j + 2]), f3 = splat(u[j + 3]), g3 = splat(e[j + 3]);
          for (u32 k = 0; k < j; k += 2) { // j is a multiple of 4
            f64x2 ek = ld(e + k), uk = ld(u + k);
            st(a0 + k, wasm_f64x2_sub(ld(a0 + k), wasm_f64x2_add(wasm_f64x2_mul(f0, ek), wasm_f64x2_mul(g0, uk))));
            st(a1 + k, wasm_f64x2_sub(ld(a1 + k), wasm_f64x2_add(wasm_f64x2_mul(f1, ek), wasm_f64x2_mul(g1, uk))));
            st(a2 + k, wasm_f64x2_sub(ld(a2 + k), wasm_f64x2_add(wasm_f64x2_mul(f2, ek), wasm_f64x2_mul(g2, uk))));
            st(a3 + k, wasm_f64x2_sub(ld(a3 + k), wasm_f64x2_add(wasm_f64x2_mul(f3, ek), wasm_f64x2_mul(g3, uk))));
          }
          for (u32 r = 0; r < 4; r++) // the 4×4 block's lower triangle
            for (u32 k = j; k <= j + r; k++) a0[r * n + k] -= u[j + r] * e[k] + e[j + r] * u[k];
        }
        for (; j + 2 <= L; j += 2) {
          double *a0 = a + j * n, *a1 = a0 + n;
          f64x2 f0 = splat(u[j]), g0 = splat(e[j]), f1 = splat(u[j + 1]), g1 = splat(e[j + 1]);
          u32 k = 0;
          for (; k + 2 <= j; k += 2) {
            f64x2 ek = ld(e + k), uk = ld(u + k);
            st(a0 + k, wasm_f64x2_sub(ld(a0 + k), wasm_f64x2_add(wasm_f64x2_mul(f0, ek), wasm_f64x2_mul(g0, uk))));
            st(a1 + k, wasm_f64x2_sub(ld(a1 + k), wasm_f64x2_add(wasm_f64x2_mul(f1, ek), wasm_f64x2_mul(g1, uk))));
          }
          for (; k <= j; k++) {
            a0[k] -= u[j] * e[k] + e[j] * u[k];
            a1[k] -= u[j + 1] * e[k] + e[j + 1] * u[k];
          }
          a1[j + 1] -= u[j + 1] * e[j + 1] + e[j + 1] * u[j + 1];
        }
        for (; j <= l; j++) {
          double *aj = a + j * n;
          for (u32 k = 0; k <= j; k++) aj[k] -= u[j] * e[k] + e[j] * u[k];
        }
      }
    } else e[i] = u[l];
    d[i] = h;
  }
  for (u32 i = 0; i < n; i++) d[i] = a[i * n + i];
}

// the usual sizes (the default hidden widths and probe counts) compiled on their own: with n
// known, the row offsets are constants in the loads, 10–15% faster at 128
static void tred2(double *a, u32 n, double *d, double *e) {
  if (n == 128) tred2_n(a, 128, d, e);
  else if (n == 64) tred2_n(a, 64, d, e);
  else tred2_n(a, n, d, e);
}

// Implicit QL with Wilkinson shifts on the tridiagonal (d diagonal, e sub-diagonal with e[n-1] = 0)
// as a resumable machine, so that several independent problems can advance in one loop: one
// rotation is a long chain of dependent divisions and square roots, and the CPU runs the other
// problems' chains in its gaps. Each problem takes exactly the steps (and the rounding) of
// Numerical Recipes' tqli, as the JavaScript wrote it.
typedef struct {
  double *d, *e;
  int n, l, m, i, iter, fail;  // fail: -1, or the eigenvalue whose iteration did not converge in 60 steps
  int phase;                   // 0: look for a small sub-diagonal entry, 1: in a sweep of rotations, 2: done
  double s, c, p, g;
} ql_t;

static inline ql_t ql_start(double *d, double *e, u32 n) {
  ql_t q = {d, e, (int)n, 0, 0, 0, 0, -1, n > 0 ? 0 : 2, 0, 0, 0, 0};
  return q;
}

// one step of q: the start of an iteration, or one rotation of its sweep
static inline __attribute__((always_inline)) void ql_step(ql_t *q) {
  double *d = q->d, *e = q->e;
  const double eps = 2.220446049250313e-16; // Number.EPSILON
  int l = q->l;
  if (q->phase == 0) {
    int m = l;
    for (; m < q->n - 1; m++) if (d_abs(e[m]) <= eps * (d_abs(d[m]) + d_abs(d[m + 1]))) break;
    if (m == l) { // d[l] is an eigenvalue
      q->iter = 0;
      if (++q->l >= q->n) q->phase = 2;
      return;
    }
    if (q->iter++ == 60) { q->fail = l; q->phase = 2; return; }
    double g = (d[l + 1] - d[l]) / (2 * e[l]), r = js_hypot(g, 1);
    q->g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
    q->s = 1, q->c = 1, q->p = 0, q->m = m, q->i = m - 1, q->phase = 1;
    return;
  }
  int i = q->i;
  double f = q->s * e[i], b = q->c * e[i], g = q->g, r = js_hypot(f, g);
  e[i + 1] = r;
  if (r == 0) { // the sweep stops early; the iteration restarts
    d[i + 1] -= q->p;
    e[q->m] = 0;
    q->phase = 0;
    return;
  }
  double s = f / r, c = g / r;
  g = d[i + 1] - q->p;
  r = (d[i] - g) * s + 2 * c * b;
  double p = s * r;
  d[i + 1] = g + p;
  g = c * r - b;
  q->s = s, q->c = c, q->p = p, q->g = g, q->i = i - 1;
  if (i - 1 < l) { // end of the sweep
    d[l] -= p;
    e[l] = g;
    e[q->m] = 0;
    q->phase = 0;
  }
}

// tred2 leaves the sub-diagonal in e[1..n-1]; QL wants it in e[0..n-2]
static void shift_down(double *e, u32 n) {
  for (u32 i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
}

// Eigenvalues (unsorted) of the symmetric a [n][n] into d; e is scratch [n]. → -1, or the index
// of the eigenvalue whose implicit QL iteration did not converge in 60 steps.
__attribute__((export_name("symEig"))) int sym_eig(double *a, u32 n, double *d, double *e) {
  tred2(a, n, d, e);
  shift_down(e, n);
  ql_t q = ql_start(d, e, n);
  while (q.phase != 2) ql_step(&q);
  return q.fail;
}

// symEig of `count` ≤ 4 independent n×n problems at once (a, d and e each hold four arrays'
// addresses, those past `count` unread), their QL iterations interleaved step by step; each one's
// result (-1 or the eigenvalue that did not converge) goes to fail[0..3]. (Four: twice as fast as
// one at a time on this machine's 128×128 Grams; eight gains about 3% more.)
__attribute__((export_name("symEig4"))) void sym_eig4(double **a, double **d, double **e, u32 count, u32 n, int *fail) {
  ql_t q[4];
  for (u32 k = 0; k < 4; k++) {
    if (k < count) tred2(a[k], n, d[k], e[k]), shift_down(e[k], n);
    q[k] = ql_start(d[k], e[k], k < count ? n : 0);
  }
  for (int live = 1; live;) {
    live = 0;
    for (u32 k = 0; k < 4; k++) if (q[k].phase != 2) ql_step(&q[k]), live = 1;
  }
  for (u32 k = 0; k < 4; k++) fail[k] = q[k].fail;
}


// ---- the routing metric's closed-form LDA probe (metrics/probe.ts ldaDecodability) ----

// Nearest-class-mean hits of the shared-diagonal-covariance LDA on x [M][H] with labels [M] in
// [0, E): rows split as splitHalves splits them (within each env its 1st, 3rd, … rows train, the
// others test, each half in row order), class means and the pooled variance from the training
// rows, distances Σ_h (x − μ_e)² / (σ²_h + floor) for the test rows, ties to the lower env. Every
// sum adds the JavaScript's terms in its order from +0: a mean over env e's training rows in row
// order, then / count (· 1/count there, the same number for a power of two); the variance over all
// training rows in order, each term (d·d) / n; floor = 1e-6 · (Σ_h σ²_h) / H + 1e-12; a distance
// over h = 0, 1, …. NaN and ±Infinity propagate as in the JavaScript (a NaN distance never wins).
// scratch: seen [E], train [M], test [M] (int32); mean [E][H], spread [H] (σ²_h + floor on return);
// dist [M]: each test row's smallest distance (for the tests). out[0] = hits, out[1] = test rows.
__attribute__((export_name("ldaHits"))) void lda_hits(const double *x, const int *labels, u32 M, u32 H, u32 E,
                                                       u32 *seen, u32 *train, u32 *test, double *mean, double *spread, double *dist, u32 *out) {
  u32 nTrain = 0, nTest = 0;
  for (u32 e = 0; e < E; e++) seen[e] = 0;
  for (u32 i = 0; i < M; i++) {
    if (seen[labels[i]]++ % 2 == 0) train[nTrain++] = i;
    else test[nTest++] = i;
  }
  // class means: each (e, h) sums env e's training rows in row order
  for (u32 k = 0; k < E * H; k++) mean[k] = 0;
  for (u32 e = 0; e < E; e++) seen[e] = 0; // now each env's training rows
  for (u32 t = 0; t < nTrain; t++) {
    u32 i = train[t], e = (u32)labels[i];
    const double *xi = x + i * H;
    double *me = mean + e * H;
    seen[e]++;
    for (u32 h = 0; h < H; h++) me[h] += xi[h];
  }
  for (u32 e = 0; e < E; e++) {
    double c = seen[e] > 0 ? (double)seen[e] : 1; // an env with no training row keeps zeros
    for (u32 h = 0; h < H; h++) mean[e * H + h] = mean[e * H + h] / c;
  }
  // pooled within-env variance [H]: each unit sums the training rows in order
  double n = (double)nTrain;
  for (u32 h = 0; h < H; h++) spread[h] = 0;
  for (u32 t = 0; t < nTrain; t++) {
    u32 i = train[t];
    const double *xi = x + i * H, *me = mean + (u32)labels[i] * H;
    for (u32 h = 0; h < H; h++) {
      double d = xi[h] - me[h];
      spread[h] += (d * d) / n;
    }
  }
  double s = 0;
  for (u32 h = 0; h < H; h++) s += spread[h];
  double floor = 1e-6 * (s / (double)H) + 1e-12; // units with no spread still count, barely
  for (u32 h = 0; h < H; h++) spread[h] += floor;
  // nearest mean: four test rows at a time, four independent sums in two f64x2 (one alone waits on each addition)
  u32 hits = 0, t = 0;
  for (; t + 4 <= nTest; t += 4) {
    const double *x0 = x + test[t] * H, *x1 = x + test[t + 1] * H, *x2 = x + test[t + 2] * H, *x3 = x + test[t + 3] * H;
    u32 b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    double bd0 = __builtin_inf(), bd1 = __builtin_inf(), bd2 = __builtin_inf(), bd3 = __builtin_inf();
    for (u32 e = 0; e < E; e++) {
      const double *me = mean + e * H;
      f64x2 d01 = splat(0), d23 = splat(0); // lanes: rows t, t + 1 and t + 2, t + 3
      for (u32 h = 0; h < H; h++) {
        f64x2 m = splat(me[h]), sp = splat(spread[h]);
        f64x2 q01 = wasm_f64x2_sub(wasm_f64x2_make(x0[h], x1[h]), m), q23 = wasm_f64x2_sub(wasm_f64x2_make(x2[h], x3[h]), m);
        d01 = wasm_f64x2_add(d01, wasm_f64x2_div(wasm_f64x2_mul(q01, q01), sp));
        d23 = wasm_f64x2_add(d23, wasm_f64x2_div(wasm_f64x2_mul(q23, q23), sp));
      }
      double d0 = wasm_f64x2_extract_lane(d01, 0), d1 = wasm_f64x2_extract_lane(d01, 1), d2 = wasm_f64x2_extract_lane(d23, 0), d3 = wasm_f64x2_extract_lane(d23, 1);
      if (d0 < bd0) b0 = e, bd0 = d0;
      if (d1 < bd1) b1 = e, bd1 = d1;
      if (d2 < bd2) b2 = e, bd2 = d2;
      if (d3 < bd3) b3 = e, bd3 = d3;
    }
    dist[t] = bd0; dist[t + 1] = bd1; dist[t + 2] = bd2; dist[t + 3] = bd3;
    hits += (b0 == (u32)labels[test[t]]) + (b1 == (u32)labels[test[t + 1]]) + (b2 == (u32)labels[test[t + 2]]) + (b3 == (u32)labels[test[t + 3]]);
  }
  for (; t < nTest; t++) {
    const double *xi = x + test[t] * H;
    u32 b = 0;
    double bd = __builtin_inf();
    for (u32 e = 0; e < E; e++) {
      const double *me = mean + e * H;
      double d = 0;
      for (u32 h = 0; h < H; h++) {
        double q = xi[h] - me[h];
        d += (q * q) / spread[h];
      }
      if (d < bd) b = e, bd = d;
    }
    dist[t] = bd;
    hits += b == (u32)labels[test[t]];
  }
  out[0] = hits;
  out[1] = nTest;
}

// ---- the routing metric's unit selectivity and attribution (metrics/selectivity.ts, live/mechanism.ts) ----

// Math.max(0, v) as JavaScript computes it: NaN stays NaN, −0 and anything below +0 give +0
static inline double js_max0(double v) { return v != v ? v : v > 0 ? v : 0; }

// Selectivity of each unit of x [M][H] for its preferred env (labels [M] in [0, E), E ≥ 2) into
// sel [H] (kind 0: the index (μ_max − μ_rest) / (μ_max + μ_rest), 1: d'), as unitSelectivity computes
// it: per env and unit, Σ v and Σ v·v over the env's rows in row order from +0, the mean Σ/count and
// the variance max(0, Σv²/count − mean·mean); the preferred env the first with the largest mean;
// μ_rest and σ²_rest the other envs' mean/(E − 1) and variance/(E − 1) summed in env order.
// scratch: count [E + 1] (int32), mean and var [E][H]. → −1, or the first env with no row.
__attribute__((export_name("unitSelectivity"))) int unit_selectivity(const double *x, const int *labels, u32 M, u32 H, u32 E, u32 kind,
                                                                    u32 *count, double *mean, double *var, double *sel) {
  for (u32 e = 0; e < E; e++) count[e] = 0;
  for (u32 k = 0; k < E * H; k++) mean[k] = 0, var[k] = 0;
  for (u32 i = 0; i < M; i++) {
    u32 e = (u32)labels[i];
    const double *xi = x + i * H;
    double *m = mean + e * H, *q = var + e * H;
    count[e]++;
    for (u32 h = 0; h < H; h++) m[h] += xi[h], q[h] += xi[h] * xi[h];
  }
  for (u32 e = 0; e < E; e++) {
    if (count[e] == 0) return (int)e;
    double c = (double)count[e];
    for (u32 h = 0; h < H; h++) {
      double m = mean[e * H + h] / c;
      mean[e * H + h] = m;
      var[e * H + h] = js_max0(var[e * H + h] / c - m * m);
    }
  }
  double others = (double)(E - 1);
  for (u32 h = 0; h < H; h++) {
    u32 top = 0;
    for (u32 e = 1; e < E; e++) if (mean[e * H + h] > mean[top * H + h]) top = e;
    double rest = 0, restVar = 0;
    for (u32 e = 0; e < E; e++) {
      if (e == top) continue;
      rest += mean[e * H + h] / others;
      restVar += var[e * H + h] / others;
    }
    double mt = mean[top * H + h], gap = mt - rest;
    double denom = kind == 0 ? mt + rest : d_sqrt((var[top * H + h] + restVar) / 2);
    if (gap <= 0) sel[h] = 0;
    else if (denom > 0) sel[h] = gap / denom;
    else sel[h] = kind == 0 ? __builtin_nan("") : __builtin_inf(); // index: negative activations; d': zero variance, separable
  }
  return -1;
}

// Attribution of unit h to env e [E][H]: Σ_i |r[e·n + i][h]|·w[h] / n over env e's n rows in
// order from +0, of r [E·n][H] and the units' outgoing weight norms w [H]
__attribute__((export_name("attribution"))) void attribution(const double *r, const double *w, u32 E, u32 n, u32 H, double *a) {
  double dn = (double)n;
  for (u32 k = 0; k < E * H; k++) a[k] = 0;
  for (u32 e = 0; e < E; e++)
    for (u32 i = 0; i < n; i++) {
      const double *ri = r + (e * n + i) * H;
      double *ae = a + e * H;
      for (u32 h = 0; h < H; h++) ae[h] += (d_abs(ri[h]) * w[h]) / dn;
    }
}

// ---- the plasticity metric's mean weight magnitude (live/plasticity.ts meanAbsWeight) ----

// sum[s] += |x[s·n + i]| for i = 0, 1, … in order, for each of the S seeds' slices of x [S][n]:
// one leaf's share of each seed's Σ|w| (four seeds at a time, each its own chain of additions)
__attribute__((export_name("absSums"))) void abs_sums(const double *x, u32 n, u32 S, double *sum) {
  u32 s = 0;
  for (; s + 4 <= S; s += 4) {
    const double *x0 = x + s * n, *x1 = x0 + n, *x2 = x1 + n, *x3 = x2 + n;
    double a0 = sum[s], a1 = sum[s + 1], a2 = sum[s + 2], a3 = sum[s + 3];
    for (u32 i = 0; i < n; i++) a0 += d_abs(x0[i]), a1 += d_abs(x1[i]), a2 += d_abs(x2[i]), a3 += d_abs(x3[i]);
    sum[s] = a0, sum[s + 1] = a1, sum[s + 2] = a2, sum[s + 3] = a3;
  }
  for (; s < S; s++) {
    const double *xs = x + s * n;
    double a = sum[s];
    for (u32 i = 0; i < n; i++) a += d_abs(xs[i]);
    sum[s] = a;
  }
}

// How many of the H units of x [M][H] are exactly 0 (+0 or −0) on every row (a NaN is not 0)
__attribute__((export_name("deadUnits"))) u32 dead_units(const double *x, u32 M, u32 H) {
  u32 dead = 0;
  for (u32 j = 0; j < H; j++) {
    u32 i = 0;
    while (i < M && x[i * H + j] == 0) i++;
    dead += i == M;
  }
  return dead;
}

// ---- the routing metric's mask overlap (metrics/selectivity.ts maskOverlap) ----

// Mean pairwise Jaccard overlap of the envs' masks, each mask the k top-scoring units of its row of
// scores [E][H] (score descending, ties to the lower index), kept by insertion as markTop keeps
// them: inter / (k + k − inter) summed over the pairs (a, b), a < b, in order, over the pair count;
// NaN for no pair. A NaN score leaves the order to topUnits' sort: then *nan = 1 and the host decides.
// scratch: mask [E][H] (bytes), best [k] (int32).
__attribute__((export_name("maskOverlap"))) double mask_overlap(const double *scores, u32 E, u32 H, u32 k, unsigned char *mask, u32 *best, u32 *nan) {
  *nan = 0;
  for (u32 i = 0; i < E * H; i++) {
    mask[i] = 0;
    if (scores[i] != scores[i]) *nan = 1;
  }
  if (*nan) return 0;
  for (u32 e = 0; e < E; e++) {
    const double *s = scores + e * H;
    u32 n = 0;
    for (u32 h = 0; h < H; h++) {
      double v = s[h];
      // ties rank the lower index first, and every index kept is lower: h goes after any equal score
      if (n == k && !(v > s[best[k - 1]])) continue;
      u32 p = n < k ? n++ : k - 1;
      while (p > 0 && v > s[best[p - 1]]) best[p] = best[p - 1], p--;
      best[p] = h;
    }
    for (u32 i = 0; i < k; i++) mask[e * H + best[i]] = 1;
  }
  double sum = 0, pairs = 0;
  for (u32 a = 0; a < E; a++)
    for (u32 b = a + 1; b < E; b++) {
      u32 inter = 0;
      for (u32 h = 0; h < H; h++) inter += mask[a * H + h] & mask[b * H + h];
      sum += (double)inter / (double)(k + k - inter);
      pairs++;
    }
  return pairs > 0 ? sum / pairs : __builtin_nan("");
}

// ---- the representation metric (live/mechanism.ts: CKA across cues and checkpoints, participation ratio) ----

// x [M][H] (float32, exact in float64) with each column's mean subtracted, into xc [M][H], as
// cka.ts centreColumns computes it: each mean summed over the rows in order from +0 and divided by
// M, then subtracted (two columns at a time, one per lane)
__attribute__((noinline)) static void centre_f32(const float *x, u32 M, u32 H, double *xc) {
  u32 n = M * H, j = 0;
  double dM = (double)M;
  for (u32 i = 0; i < n; i++) xc[i] = (double)x[i];
  for (; j + 2 <= H; j += 2) {
    f64x2 m = splat(0);
    for (u32 o = j; o < n; o += H) m = wasm_f64x2_add(m, ld(xc + o));
    m = wasm_f64x2_div(m, splat(dM));
    for (u32 o = j; o < n; o += H) st(xc + o, wasm_f64x2_sub(ld(xc + o), m));
  }
  for (; j < H; j++) {
    double m = 0;
    for (u32 o = j; o < n; o += H) m += xc[o];
    m /= dM;
    for (u32 o = j; o < n; o += H) xc[o] -= m;
  }
}

// Σ a[i]·b[i] over i = 0, 1, … in order from +0 (one chain: the JavaScript's order)
__attribute__((noinline)) static double dot_in_order(const double *a, const double *b, u32 n) {
  double s = 0;
  for (u32 i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// Σ a·a, Σ b·b and Σ a·b over i = 0, 1, … in order from +0: three independent chains in one pass,
// the numbers of three loops (b may be 0: Σ a·a alone)
static void squares_and_dot(const double *a, const double *b, u32 n, double *aa, double *bb, double *ab) {
  double s = 0, t = 0, x = 0;
  if (b)
    for (u32 i = 0; i < n; i++) s += a[i] * a[i], t += b[i] * b[i], x += a[i] * b[i];
  else
    for (u32 i = 0; i < n; i++) s += a[i] * a[i];
  *aa = s;
  if (b) *bb = t, *ab = x;
}

// cka.ts ckaOfRowGrams from xy = Σ kx·ky in order: NaN if either Σ k² is 0; Math.min(1, xy / √(ssx·ssy)),
// whose NaN stays NaN
static double cka_from(double xy, double ssx, double ssy) {
  if (ssx == 0 || ssy == 0) return __builtin_nan("");
  double v = xy / d_sqrt(ssx * ssy);
  return v != v ? v : v < 1 ? v : 1;
}

// One seed of the representation metric, where CKA works from row Grams (the caller checks
// ckaUsesRowGrams), on its rows r [M][H] = E cues × n probes (float32): the numbers of the
// JavaScript in mechanism.ts / cka.ts / rank.ts, bit for bit.
//   out[0] rep/ckaEnv: the mean over cue pairs a < b, in order, of CKA between cue blocks [n][H],
//          each block centred on its own (NaN for E < 2)
//   out[1] rep/ckaTime: CKA of the previous checkpoint's centred row Gram with this one's (NaN for
//          prevKind 0; 1: its Gram in prevG and Σ g² in out[4]; 2: its rows in prevRows, Gram made here)
//   out[2] rep/dim: the participation ratio (Σλ)²/Σλ² of the centred rows, from the smaller Gram
//          (the row Gram g itself when M < H; else XᵀX, if every centred entry is finite: out[5] = 1
//          when it is not, and the caller computes it from xc, which then holds the centred rows)
//   out[3] Σ g² of this checkpoint's centred row Gram g [M][M], kept for the next one
// scratch: xc [M][H], scratch max(H·(M + 3), M·(H + 3)), genv [E][n][n], gsmall [H][H] (M ≥ H).
__attribute__((export_name("representationSeed"))) void representation_seed(const float *r, const float *prevRows, u32 prevKind, u32 M, u32 H, u32 E, u32 n,
                                                                             double *xc, double *scratch, double *genv, double *g, double *prevG, double *gsmall, double *out) {
  u32 nn = n * n, MM = M * M;
  if (E > 1) {
    double ss[E], xy = 0, cka = 0, pairs = 0;
    for (u32 a = 0; a < E; a++) {
      centre_f32(r + a * n * H, n, H, xc);
      row_gram(xc, n, H, scratch, genv + a * nn);
    }
    if (E == 2) squares_and_dot(genv, genv + nn, nn, &ss[0], &ss[1], &xy), cka += cka_from(xy, ss[0], ss[1]), pairs = 1;
    else {
      for (u32 a = 0; a < E; a++) squares_and_dot(genv + a * nn, 0, nn, &ss[a], 0, 0);
      for (u32 a = 0; a < E; a++)
        for (u32 b = a + 1; b < E; b++, pairs++) cka += cka_from(dot_in_order(genv + a * nn, genv + b * nn, nn), ss[a], ss[b]);
    }
    out[0] = cka / pairs;
  } else out[0] = __builtin_nan("");
  double prevSS = out[4], ssg, xy, unused;
  if (prevKind == 2) {
    centre_f32(prevRows, M, H, xc);
    row_gram(xc, M, H, scratch, prevG);
  }
  centre_f32(r, M, H, xc);
  row_gram(xc, M, H, scratch, g);
  if (prevKind == 2) squares_and_dot(g, prevG, MM, &ssg, &prevSS, &xy);
  else if (prevKind == 1) squares_and_dot(g, prevG, MM, &ssg, &unused, &xy);
  else squares_and_dot(g, 0, MM, &ssg, 0, 0);
  out[1] = prevKind ? cka_from(xy, prevSS, ssg) : __builtin_nan("");
  out[3] = ssg;
  out[5] = 0;
  double tr = 0, fro;
  if (M < H) {
    for (u32 i = 0; i < M; i++) tr += g[i * M + i];
    fro = ssg;
  } else if (all_finite(xc, M * H)) {
    col_gram(xc, M, H, scratch, gsmall);
    for (u32 i = 0; i < H; i++) tr += gsmall[i * H + i];
    fro = dot_in_order(gsmall, gsmall, H * H);
  } else {
    out[5] = 1;
    return;
  }
  out[2] = fro > 0 ? (tr * tr) / fro : 0;
}
