// The fused training step of the MLP ensemble: forward, backward and optimiser update of every
// seed of a shard in one call, seed after seed (each seed's weights, moments and activations stay
// in cache while it trains). Compiled to wasm32 + 128-bit SIMD by scripts/build-kernel.sh; no libc.
// Every seed is computed alone, in a fixed order of operations: the numbers depend on neither the
// shard nor the thread that trains the seed, and are the same bit for bit from run to run.
#include <wasm_simd128.h>

typedef unsigned int u32;
#define MAXL 16 // layers including the head

// ---- memory: a bump allocator over the module's own linear memory ----
extern unsigned char __heap_base;
static u32 heap_top = 0;

__attribute__((export_name("alloc"))) float *alloc(u32 floats) {
  if (!heap_top) heap_top = (u32)&__heap_base;
  u32 p = (heap_top + 63) & ~63u; // 64-byte aligned
  u32 end = p + floats * 4;
  u32 have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (unsigned long)-1) return 0;
  heap_top = end;
  return (float *)p;
}

__attribute__((export_name("reset"))) void reset(void) { heap_top = 0; }

// ---- scalar math without libc ----
static inline float f_abs(float x) { return __builtin_fabsf(x); }
static inline float f_max(float a, float b) { return a > b ? a : b; }

// e^x for x ≤ ~88: x = k·ln2 + r, |r| ≤ ln2/2, degree-6 Taylor polynomial (rel. error < 2e-7).
static float f_exp(float x) {
  if (x < -103.f) return 0.f;
  if (x > 88.7f) return __builtin_inff();
  float k = __builtin_rintf(x * 1.44269504088896341f);
  float r = x - k * 0.693145751953125f;
  r = r - k * 1.428606765330187045e-06f;
  float p = 1.f + r * (1.f + r * (0.5f + r * (0.16666667f + r * (0.041666668f + r * (0.0083333338f + r * 0.0013888889f)))));
  int ki = (int)k;
  // 2^k in two halves so that k down to −126−23 stays representable
  int k1 = ki / 2, k2 = ki - k1;
  union { u32 u; float f; } a = {(u32)(k1 + 127) << 23}, b = {(u32)(k2 + 127) << 23};
  return p * a.f * b.f;
}

// ln x for finite x > 0: x = m·2^e with m in [√½, √2), ln m = 2·atanh(s), s = (m−1)/(m+1).
static float f_log(float x) {
  if (!(x > 0.f)) return x == 0.f ? -__builtin_inff() : __builtin_nanf("");
  if (x == __builtin_inff()) return x;
  union { float f; u32 u; } v = {x};
  int e = (int)((v.u >> 23) & 255) - 127;
  if (e == -127) { v.f = x * 8388608.f; e = (int)((v.u >> 23) & 255) - 127 - 23; } // subnormal
  v.u = (v.u & 0x007fffffu) | 0x3f800000u; // m in [1, 2)
  float m = v.f;
  if (m > 1.41421356f) { m *= 0.5f; e += 1; }
  float s = (m - 1.f) / (m + 1.f), s2 = s * s;
  float p = s * (2.f + s2 * (0.66666669f + s2 * (0.4f + s2 * (0.28571429f + s2 * 0.22222222f))));
  return p + (float)e * 0.693147180559945309f;
}

// log(1 + e^x), stable for either sign.
static float f_softplus(float x) { return f_max(x, 0.f) + f_log(1.f + f_exp(-f_abs(x))); }
static float f_sigmoid(float x) { return x >= 0.f ? 1.f / (1.f + f_exp(-x)) : f_exp(x) / (1.f + f_exp(x)); }

// ---- matrix products (row-major). Vectorised over the output's columns, 4 rows × 8 columns per block. ----
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)
#define MUL wasm_f32x4_mul
#define ADD wasm_f32x4_add
#define SPLAT wasm_f32x4_splat

#define PMAX wasm_f32x4_pmax

// Where a product's output starts: C += A·B, C = A·B, or C = bias + A·B (bias [N], every row).
enum { ACC = 0, ZERO = 1, BIAS = 2 };

static inline v128_t init4(int mode, const float *c, const float *bias, int n) {
  return mode == ACC ? LD(c) : mode == BIAS ? LD(bias + n) : wasm_f32x4_splat(0.f);
}
static inline float init1(int mode, const float *c, const float *bias, int n) {
  return mode == ACC ? *c : mode == BIAS ? bias[n] : 0.f;
}

// C[M,N] (=|+=) A[M,K] · B[K,N], then max(·, 0) when relu; A[m,k] at A[m·sam + k·sak] (sam, sak
// select A or Aᵀ); all row-major. 4 rows × 8 columns per block: 8 accumulators fit the 16 SIMD
// registers of x86-64 with room for the operands (measured best of 4×8, 4×16, 3×16).
static void gemm(int M, int N, int K, const float *A, int sam, int sak, const float *B, int ldb, float *C, int ldc, int mode, const float *bias, int relu) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  int m = 0;
  for (; m + 4 <= M; m += 4) {
    const float *a0 = A + m * sam, *a1 = a0 + sam, *a2 = a1 + sam, *a3 = a2 + sam;
    int n = 0;
    for (; n + 8 <= N; n += 8) {
      float *c = C + m * ldc + n;
      v128_t c00 = init4(mode, c, bias, n), c01 = init4(mode, c + 4, bias, n + 4);
      v128_t c10 = init4(mode, c + ldc, bias, n), c11 = init4(mode, c + ldc + 4, bias, n + 4);
      v128_t c20 = init4(mode, c + 2 * ldc, bias, n), c21 = init4(mode, c + 2 * ldc + 4, bias, n + 4);
      v128_t c30 = init4(mode, c + 3 * ldc, bias, n), c31 = init4(mode, c + 3 * ldc + 4, bias, n + 4);
      const float *b = B + n, *p0 = a0, *p1 = a1, *p2 = a2, *p3 = a3;
      for (int k = 0; k < K; k++, b += ldb, p0 += sak, p1 += sak, p2 += sak, p3 += sak) {
        v128_t b0 = LD(b), b1 = LD(b + 4), a;
        a = SPLAT(*p0); c00 = ADD(c00, MUL(a, b0)); c01 = ADD(c01, MUL(a, b1));
        a = SPLAT(*p1); c10 = ADD(c10, MUL(a, b0)); c11 = ADD(c11, MUL(a, b1));
        a = SPLAT(*p2); c20 = ADD(c20, MUL(a, b0)); c21 = ADD(c21, MUL(a, b1));
        a = SPLAT(*p3); c30 = ADD(c30, MUL(a, b0)); c31 = ADD(c31, MUL(a, b1));
      }
      if (relu) {
        c00 = PMAX(c00, zero); c01 = PMAX(c01, zero); c10 = PMAX(c10, zero); c11 = PMAX(c11, zero);
        c20 = PMAX(c20, zero); c21 = PMAX(c21, zero); c30 = PMAX(c30, zero); c31 = PMAX(c31, zero);
      }
      ST(c, c00); ST(c + 4, c01); ST(c + ldc, c10); ST(c + ldc + 4, c11);
      ST(c + 2 * ldc, c20); ST(c + 2 * ldc + 4, c21); ST(c + 3 * ldc, c30); ST(c + 3 * ldc + 4, c31);
    }
    for (; n + 4 <= N; n += 4) {
      float *c = C + m * ldc + n;
      v128_t c0 = init4(mode, c, bias, n), c1 = init4(mode, c + ldc, bias, n), c2 = init4(mode, c + 2 * ldc, bias, n), c3 = init4(mode, c + 3 * ldc, bias, n);
      const float *b = B + n;
      for (int k = 0; k < K; k++, b += ldb) {
        v128_t b0 = LD(b);
        c0 = ADD(c0, MUL(SPLAT(a0[k * sak]), b0)); c1 = ADD(c1, MUL(SPLAT(a1[k * sak]), b0));
        c2 = ADD(c2, MUL(SPLAT(a2[k * sak]), b0)); c3 = ADD(c3, MUL(SPLAT(a3[k * sak]), b0));
      }
      if (relu) { c0 = PMAX(c0, zero); c1 = PMAX(c1, zero); c2 = PMAX(c2, zero); c3 = PMAX(c3, zero); }
      ST(c, c0); ST(c + ldc, c1); ST(c + 2 * ldc, c2); ST(c + 3 * ldc, c3);
    }
    for (; n < N; n++)
      for (int r = 0; r < 4; r++) {
        const float *a = A + (m + r) * sam;
        float s = init1(mode, C + (m + r) * ldc + n, bias, n);
        for (int k = 0; k < K; k++) s += a[k * sak] * B[k * ldb + n];
        C[(m + r) * ldc + n] = relu ? f_max(s, 0.f) : s;
      }
  }
  for (; m < M; m++) {
    const float *a = A + m * sam;
    int n = 0;
    for (; n + 4 <= N; n += 4) {
      v128_t c0 = init4(mode, C + m * ldc + n, bias, n);
      for (int k = 0; k < K; k++) c0 = ADD(c0, MUL(SPLAT(a[k * sak]), LD(B + k * ldb + n)));
      ST(C + m * ldc + n, relu ? PMAX(c0, zero) : c0);
    }
    for (; n < N; n++) {
      float s = init1(mode, C + m * ldc + n, bias, n);
      for (int k = 0; k < K; k++) s += a[k * sak] * B[k * ldb + n];
      C[m * ldc + n] = relu ? f_max(s, 0.f) : s;
    }
  }
}

// T[N, K] = Wᵀ for W [K, N], in 4×4 blocks of shuffles (a scalar transpose's strided stores cost
// as much as a third of the backward pass).
static void transpose(const float *W, int K, int N, float *T) {
  int i = 0;
  for (; i + 4 <= K; i += 4) {
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      v128_t r0 = LD(W + i * N + j), r1 = LD(W + (i + 1) * N + j), r2 = LD(W + (i + 2) * N + j), r3 = LD(W + (i + 3) * N + j);
      v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
      v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      ST(T + j * K + i, wasm_i64x2_shuffle(t0, t1, 0, 2));
      ST(T + (j + 1) * K + i, wasm_i64x2_shuffle(t0, t1, 1, 3));
      ST(T + (j + 2) * K + i, wasm_i64x2_shuffle(t2, t3, 0, 2));
      ST(T + (j + 3) * K + i, wasm_i64x2_shuffle(t2, t3, 1, 3));
    }
    for (; j < N; j++) for (int r = i; r < i + 4; r++) T[j * K + r] = W[r * N + j];
  }
  for (; i < K; i++) for (int j = 0; j < N; j++) T[j * K + i] = W[i * N + j];
}

// out[j] = Σ_i x[i, j] over the rows of x [M, N], row by row.
static void colSum(const float *x, int M, int N, float *out) {
  int j = 0;
  for (; j + 4 <= N; j += 4) {
    v128_t a = wasm_f32x4_splat(0.f);
    for (int i = 0; i < M; i++) a = ADD(a, LD(x + i * N + j));
    ST(out + j, a);
  }
  for (; j < N; j++) {
    float a = 0.f;
    for (int i = 0; i < M; i++) a += x[i * N + j];
    out[j] = a;
  }
}

// The gradient on a hidden layer's output d [n] back to its pre-activation: times the dropout
// mask, plus the l1 term's l1g·sign(h), zero where the ReLU was off (h the post-ReLU activation).
static void gateBack(float *d, const float *mask, const float *h, int n, float l1g, int relu) {
  const v128_t zero = wasm_f32x4_splat(0.f), g = wasm_f32x4_splat(l1g);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = LD(d + i), hv = LD(h + i);
    if (mask) v = MUL(v, LD(mask + i));
    if (l1g != 0.f) v = wasm_f32x4_sub(ADD(v, wasm_v128_and(wasm_f32x4_gt(hv, zero), g)), wasm_v128_and(wasm_f32x4_lt(hv, zero), g));
    if (relu) v = wasm_v128_and(v, wasm_f32x4_gt(hv, zero));
    ST(d + i, v);
  }
  for (; i < n; i++) {
    float v = mask ? d[i] * mask[i] : d[i];
    if (l1g != 0.f) v = (v + (h[i] > 0.f ? l1g : 0.f)) - (h[i] < 0.f ? l1g : 0.f);
    if (relu && !(h[i] > 0.f)) v = 0.f;
    d[i] = v;
  }
}

// ---- the step ----
// Config block written by the host (src/kernels/mlp.ts), all 32-bit slots; pointers are byte offsets.
typedef struct {
  int S, B, D, C, H, L;     // seeds, batch, input, classes, heads, layers (hidden + head)
  int opt;                  // 0 sgd, 1 momentum, 2 adam
  int mode;                 // reserved (0)
  float lr, b1, b2, eps, wd, l2, l1, bc1, bc2; // bc1, bc2: Adam's bias corrections 1 − β^t
  float keep, pull, clip;   // this step's 1 − lr·wd and lr·l2 (rounded once from float64 by the host); clip: global-norm threshold per seed, 0 = off
  int width[MAXL];          // output width of each layer (head: H·C)
  int relu[MAXL];
  float *w[MAXL], *b[MAXL]; // parameters, leaf [S, in, out] / [S, 1, out]
  float *mw[MAXL], *mb[MAXL], *vw[MAXL], *vb[MAXL], *iw[MAXL], *ib[MAXL]; // moments, initial weights
  float *rw[MAXL], *rb[MAXL]; // reference policy (preference)
  float *x;                 // [S, B, D]
  float *heads;             // [B, H] or 0
  float *drop[MAXL];        // per layer [S, B, width] inverted-dropout mask, or 0
  float *sftMask, *sftTarget;                       // [B], [S, B, C]
  float *rwMask, *rwRewards, *rwGumbel, *rwUse;     // [B], [S,B,C], [S,B,C], [B]
  float *prMask, *prChosen, *prRejected, *prBeta;   // [B], [S,B,C], [S,B,C], [B]
  float *out;               // [S, B] per-example loss
  float *scratch;           // see layout in step()
} Cfg;

static int fanIn(const Cfg *c, int l) { return l == 0 ? c->D : c->width[l - 1]; }

// The rows one pass reads: x [R, D] of this seed, head weights [R, H] (H > 1), dropout masks per
// layer [R, width] (training only), activations act/in [R, maxw] per layer.
typedef struct {
  int R;
  const float *x, *heads;
  const float *drop[MAXL];
  float *act[MAXL], *in[MAXL];
  float *full, *lg, *logp; // [R, H·C], [R, C], [R, C]
} Pass;

// Forward of seed s with parameters (w, b). act[l]: post-activation (pre-dropout); in[l]: what
// layer l+1 reads (after dropout). Returns Σ_l mean|h_l| (the l1 term) when `l1`.
static float forward(const Cfg *c, int s, float *const *w, float *const *b, const Pass *q, int l1on) {
  const int R = q->R, C = c->C, H = c->H, L = c->L;
  const float *h = q->x;
  float l1 = 0.f;
  for (int l = 0; l < L; l++) {
    int K = fanIn(c, l), N = c->width[l];
    float *z = l == L - 1 ? q->full : q->act[l];
    const float *W = w[l] + (long)s * K * N, *bias = b[l] + (long)s * N;
    gemm(R, N, K, h, K, 1, W, N, z, N, BIAS, bias, l < L - 1 && c->relu[l]);
    if (l == L - 1) break;
    if (l1on) {
      float a = 0.f;
      for (int i = 0; i < R * N; i++) a += f_abs(z[i]);
      l1 += a / (float)(R * N);
    }
    const float *mask = q->drop[l];
    if (mask) { for (int i = 0; i < R * N; i++) q->in[l][i] = z[i] * mask[i]; h = q->in[l]; }
    else h = z;
  }
  // pick each example's head, then log-softmax
  for (int i = 0; i < R; i++) {
    float *lp = q->logp + i * C, *li = q->lg + i * C;
    if (H == 1) for (int k = 0; k < C; k++) li[k] = q->full[i * C + k];
    else for (int k = 0; k < C; k++) {
      float v = 0.f;
      for (int e = 0; e < H; e++) v += q->full[i * H * C + e * C + k] * q->heads[i * H + e];
      li[k] = v;
    }
    float mx = li[0];
    for (int k = 1; k < C; k++) mx = f_max(mx, li[k]);
    float se = 0.f;
    for (int k = 0; k < C; k++) se += f_exp(li[k] - mx);
    float lse = mx + f_log(se);
    for (int k = 0; k < C; k++) lp[k] = li[k] - lse;
  }
  return l1;
}

// Backward of seed s from dlg = ∂loss/∂logits [R, C] (overwritten), with the activations of the
// forward pass `q`. Per layer, from the head down: the gradient (gw, gb) goes to sink(l, gw, gb).
// scratch: dh, dz [R, maxw], wt [maxw, maxw], gw [maxw, maxw], gb [maxw].
typedef void (*Sink)(const Cfg *c, int s, int l, float **gw, float **gb, void *ctx);
static void backward(const Cfg *c, int s, const Pass *q, float *dlg, float l1, float *dh, float *dz, float *wt, float *gw, float *gb, Sink sink, void *ctx) {
  const int R = q->R, C = c->C, H = c->H, L = c->L, HC = H * C;
  // through the head selection: dfull [R, H·C] (in `full`, no longer needed)
  float *dfull = q->full;
  if (H == 1) for (int i = 0; i < R * C; i++) dfull[i] = dlg[i];
  else for (int i = 0; i < R; i++)
    for (int e = 0; e < H; e++)
      for (int k = 0; k < C; k++) dfull[i * HC + e * C + k] = dlg[i * C + k] * q->heads[i * H + e];
  const float *dzl = dfull;
  for (int l = L - 1; l >= 0; l--) {
    const int K = fanIn(c, l), N = c->width[l];
    const float *hin = l == 0 ? q->x : (q->drop[l - 1] ? q->in[l - 1] : q->act[l - 1]);
    const float *W = c->w[l] + (long)s * K * N;
    float *gwl = gw, *gbl = gb;
    sink(c, s, -1 - l, &gwl, &gbl, ctx); // where layer l's gradient goes (the sink may redirect)
    gemm(K, N, R, hin, 1, K, dzl, N, gwl, N, ZERO, 0, 0); // hinᵀ · dz
    colSum(dzl, R, N, gbl);
    // gradient on the layer's input, with the weights as they stood before this update
    float *dprev = 0;
    if (l > 0) {
      transpose(W, K, N, wt);
      dprev = dzl == dz ? dh : dz;
      gemm(R, K, N, dzl, N, 1, wt, K, dprev, K, ZERO, 0, 0); // dz · Wᵀ
      // through dropout, the l1 term and the ReLU of layer l−1
      const float l1g = l1 / (float)(R * K); // ∂(l1·mean|h|)/∂h: every example carries the penalty, the batch mean keeps one copy
      gateBack(dprev, q->drop[l - 1], q->act[l - 1], R * K, l1 > 0.f ? l1g : 0.f, c->relu[l - 1]);
    }
    sink(c, s, l, &gwl, &gbl, ctx);
    dzl = dprev;
  }
}

// One update of a parameter block of n values (the rules of src/train/optim.ts).
static void update(const Cfg *c, float *x, const float *g, float *m, float *v, const float *x0, int n) {
  const float lr = c->lr, b1 = c->b1, b2 = c->b2, eps = c->eps, keep = c->keep, pull = c->pull;
  const int decay = c->wd > 0.f, opt = c->opt;
  for (int i = 0; i < n; i++) {
    float xi = x[i], before = xi, y;
    if (decay) xi = xi * keep;
    if (opt == 0) y = xi - g[i] * lr;
    else if (opt == 1) { float mm = m[i] * b1 + g[i]; m[i] = mm; y = xi - mm * lr; }
    else {
      float mm = m[i] * b1 + g[i] * (1.f - b1), vv = v[i] * b2 + g[i] * g[i] * (1.f - b2);
      m[i] = mm; v[i] = vv;
      y = xi - mm / c->bc1 * lr / (__builtin_sqrtf(vv / c->bc2) + eps);
    }
    if (x0) y = y - (before - x0[i]) * pull;
    x[i] = y;
  }
}

// Adam's update vectorised (the common case: no decay, no pull); the same operations in the same order as update().
static void adam4(const Cfg *c, float *x, const float *g, float *m, float *v, int n) {
  int i = 0;
  const v128_t b1 = SPLAT(c->b1), b2 = SPLAT(c->b2), nb1 = SPLAT(1.f - c->b1), nb2 = SPLAT(1.f - c->b2);
  const v128_t bc1 = SPLAT(c->bc1), bc2 = SPLAT(c->bc2), lr = SPLAT(c->lr), eps = SPLAT(c->eps);
  for (; i + 4 <= n; i += 4) {
    v128_t gi = LD(g + i);
    v128_t mm = ADD(MUL(LD(m + i), b1), MUL(gi, nb1));
    v128_t vv = ADD(MUL(LD(v + i), b2), MUL(MUL(gi, gi), nb2));
    ST(m + i, mm); ST(v + i, vv);
    v128_t step = wasm_f32x4_div(MUL(wasm_f32x4_div(mm, bc1), lr), ADD(wasm_f32x4_sqrt(wasm_f32x4_div(vv, bc2)), eps));
    ST(x + i, wasm_f32x4_sub(LD(x + i), step));
  }
  if (i < n) update(c, x + i, g + i, m + i, v + i, 0, n - i);
}

static void apply(const Cfg *c, float *x, const float *g, float *m, float *v, const float *x0, int n) {
  if (c->opt == 2 && !(c->wd > 0.f) && !x0) adam4(c, x, g, m, v, n);
  else update(c, x, g, m, v, x0, n);
}

// Updates layer l of seed s from its gradient (gw [K, N], gb [N]).
static void updateLayer(const Cfg *c, int s, int l, const float *gw, const float *gb) {
  const int K = fanIn(c, l), N = c->width[l];
  const long ow = (long)s * K * N, ob = (long)s * N;
  apply(c, c->w[l] + ow, gw, c->mw[l] ? c->mw[l] + ow : 0, c->vw[l] ? c->vw[l] + ow : 0, c->iw[l] ? c->iw[l] + ow : 0, K * N);
  apply(c, c->b[l] + ob, gb, c->mb[l] ? c->mb[l] + ob : 0, c->vb[l] ? c->vb[l] + ob : 0, c->ib[l] ? c->ib[l] + ob : 0, N);
}

// The training sink: update each layer as soon as its gradient is known, or, with clipping,
// collect the seed's whole gradient first (layer l at gall + goff[l]).
typedef struct { int clipping; float *gall; long *goff; } TrainSink;
static void trainSink(const Cfg *c, int s, int l, float **gw, float **gb, void *ctx) {
  TrainSink *t = (TrainSink *)ctx;
  if (l < 0) { // before layer −1−l's gradient is computed: where to put it
    if (t->clipping) { int L0 = -1 - l; *gw = t->gall + t->goff[L0]; *gb = *gw + (long)fanIn(c, L0) * c->width[L0]; }
    return;
  }
  if (!t->clipping) updateLayer(c, s, l, *gw, *gb);
}

// The gradient sink of eval(): into leaves shaped like the parameters.
typedef struct { float **gw, **gb; } GradSink;
static void gradSink(const Cfg *c, int s, int l, float **gw, float **gb, void *ctx) {
  GradSink *g = (GradSink *)ctx;
  if (l >= 0) return;
  int L0 = -1 - l;
  *gw = g->gw[L0] + (long)s * fanIn(c, L0) * c->width[L0];
  *gb = g->gb[L0] + (long)s * c->width[L0];
}

static int maxWidth(const Cfg *c) {
  int maxw = c->D;
  for (int l = 0; l < c->L; l++) if (c->width[l] > maxw) maxw = c->width[l];
  return maxw;
}

// Lays out a pass over R rows in scratch p; returns the first float after it.
static float *passScratch(const Cfg *c, Pass *q, int R, float *p) {
  const int maxw = maxWidth(c);
  q->R = R;
  for (int l = 0; l < c->L; l++) { q->act[l] = p; p += R * maxw; q->in[l] = p; p += R * maxw; q->drop[l] = 0; }
  q->full = p; p += R * c->H * c->C;
  q->lg = p; p += R * c->C;
  q->logp = p; p += R * c->C;
  return p;
}

__attribute__((export_name("step"))) void step(Cfg *c) {
  const int S = c->S, B = c->B, C = c->C, L = c->L;
  const int maxw = maxWidth(c);
  Pass q;
  float *p = passScratch(c, &q, B, c->scratch);
  float *reflogp = p; p += B * C;
  float *dlg = p; p += B * C;
  float *dh = p; p += B * maxw;
  float *dz = p; p += B * maxw;
  float *wt = p; p += maxw * maxw;
  float *gw = p; p += maxw * maxw;
  float *gb = p; p += maxw;
  float *gall = p; // with clipping: the whole gradient of one seed, layer by layer (w then b)
  long goff[MAXL];
  for (int l = 0; l < L; l++) { goff[l] = p - gall; p += (long)fanIn(c, l) * c->width[l] + c->width[l]; }
  TrainSink ts = {c->clip > 0.f, gall, goff};
  q.heads = c->heads;

  float rwCount = 0.f; // reward examples in the batch (at least 1): the baseline's denominator
  if (c->rwMask) { for (int i = 0; i < B; i++) rwCount += c->rwMask[i]; if (rwCount < 1.f) rwCount = 1.f; }

  for (int s = 0; s < S; s++) {
    q.x = c->x + (long)s * B * c->D;
    for (int l = 0; l < L; l++) q.drop[l] = 0;
    if (c->prMask) { float *lp = q.logp; q.logp = reflogp; forward(c, s, c->rw, c->rb, &q, 0); q.logp = lp; }
    for (int l = 0; l < L - 1; l++) q.drop[l] = c->drop[l] ? c->drop[l] + (long)s * B * c->width[l] : 0;
    const float pen = c->l1 * forward(c, s, c->w, c->b, &q, c->l1 > 0.f);
    const float *logp = q.logp, *lg = q.lg;
    float *loss = c->out + (long)s * B;
    const long o = (long)s * B * C;
    for (int i = 0; i < B * C; i++) dlg[i] = 0.f;
    for (int i = 0; i < B; i++) loss[i] = 0.f;
    // Each objective: its loss, and w = ∂loss/∂logp accumulated (times mask) into dlg; the softmax comes after.
    if (c->sftMask) for (int i = 0; i < B; i++) {
      const float *y = c->sftTarget + o + i * C, *lp = logp + i * C, mk = c->sftMask[i];
      float l = 0.f;
      for (int k = 0; k < C; k++) l += lp[k] * y[k];
      loss[i] += -l * mk;
      for (int k = 0; k < C; k++) dlg[i * C + k] += -y[k] * mk;
    }
    if (c->rwMask) {
      // a ~ π by Gumbel-max (every maximum counts, as an equality test does), r = reward of a,
      // baseline = this seed's mean r over the batch's reward examples
      float *a = dz, *r = dh; // borrowed: [B, C] and [B]
      float rsum = 0.f;
      for (int i = 0; i < B; i++) {
        const float *gu = c->rwGumbel + o + i * C, *rw = c->rwRewards + o + i * C, *li = lg + i * C;
        float mx = -__builtin_inff();
        for (int k = 0; k < C; k++) mx = f_max(mx, li[k] + gu[k]);
        float ri = 0.f;
        for (int k = 0; k < C; k++) { a[i * C + k] = li[k] + gu[k] == mx ? 1.f : 0.f; ri += a[i * C + k] * rw[k]; }
        r[i] = ri;
        rsum += ri * c->rwMask[i];
      }
      const float base = rsum / rwCount;
      for (int i = 0; i < B; i++) {
        const float adv = r[i] - base * c->rwUse[i], mk = c->rwMask[i];
        float al = 0.f;
        for (int k = 0; k < C; k++) al += a[i * C + k] * logp[i * C + k];
        loss[i] += -(adv * al) * mk;
        for (int k = 0; k < C; k++) dlg[i * C + k] += -adv * a[i * C + k] * mk;
      }
    }
    if (c->prMask) for (int i = 0; i < B; i++) {
      const float *ch = c->prChosen + o + i * C, *rj = c->prRejected + o + i * C, mk = c->prMask[i], beta = c->prBeta[i];
      float mc = 0.f, mr = 0.f;
      for (int k = 0; k < C; k++) { float ratio = logp[i * C + k] - reflogp[i * C + k]; mc += ratio * ch[k]; mr += ratio * rj[k]; }
      const float x = -((mc - mr) * beta);
      loss[i] += f_softplus(x) * mk;
      const float d = -f_sigmoid(x) * beta * mk; // ∂loss/∂margin
      for (int k = 0; k < C; k++) dlg[i * C + k] += d * (ch[k] - rj[k]);
    }
    for (int i = 0; i < B; i++) loss[i] += pen;
    // through the log-softmax, and the mean over the batch
    const float invB = 1.f / (float)B;
    for (int i = 0; i < B; i++) {
      float sw = 0.f;
      for (int k = 0; k < C; k++) sw += dlg[i * C + k];
      for (int k = 0; k < C; k++) dlg[i * C + k] = (dlg[i * C + k] - sw * f_exp(logp[i * C + k])) * invB;
    }
    backward(c, s, &q, dlg, c->l1, dh, dz, wt, gw, gb, trainSink, &ts);
    if (ts.clipping) {
      // every leaf's squared norm, summed in leaf order; then g·clip/max(‖g‖, clip)
      float sq = 0.f;
      for (int l = 0; l < L; l++) {
        const int K = fanIn(c, l), N = c->width[l];
        const float *gl = gall + goff[l];
        float a = 0.f, b = 0.f;
        for (int i = 0; i < K * N; i++) a += gl[i] * gl[i];
        for (int i = 0; i < N; i++) b += gl[K * N + i] * gl[K * N + i];
        sq += a; sq += b;
      }
      const float scale = c->clip / f_max(__builtin_sqrtf(sq), c->clip);
      for (int l = 0; l < L; l++) {
        const int K = fanIn(c, l), N = c->width[l];
        float *gl = gall + goff[l];
        for (int i = 0; i < K * N + N; i++) gl[i] *= scale;
        updateLayer(c, s, l, gl, gl + K * N);
      }
    }
  }
}

// dst[0, n) = src[0, n)
static void copy(float *dst, const float *src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) ST(dst + i, LD(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

// Evaluation of every seed on R rows shared by the seeds (x [R, D], heads [R, H]): probabilities
// into probs (seed s's R rows at row s·probsRows); with `hidden`, each hidden layer's activations
// (seed s at row s·hiddenRows; of every `block` rows the first `blockKeep`, one after another);
// with targets y [R, C], the gradient of −Σ_rows Σ_c y·log p per seed into leaves shaped like the
// parameters (gw, gb). With `back`, no forward: probs and hidden hold an earlier forward of these
// rows (every row kept), and only the gradient is computed. Where every row is kept, the forward
// writes its activations straight into hidden. A row's forward is the same bit for bit whichever
// rows share its pass (gemm computes each output element alone, in the same order).
typedef struct {
  int R;
  float *x, *heads, *probs, *y, *scratch;
  float *hidden[MAXL];
  float *gw[MAXL], *gb[MAXL];
  int back, probsRows, hiddenRows, block, blockKeep;
} Eval;

__attribute__((export_name("eval"))) void eval(const Cfg *c, const Eval *e) {
  const int S = c->S, C = c->C, L = c->L, R = e->R;
  const int maxw = maxWidth(c);
  Pass q;
  float *p = passScratch(c, &q, R, e->scratch);
  float *dlg = p; p += R * C;
  float *dh = p; p += R * maxw;
  float *dz = p; p += R * maxw;
  float *wt = p; p += maxw * maxw;
  q.x = e->x;
  q.heads = e->heads;
  GradSink gs = {(float **)e->gw, (float **)e->gb};
  float *act[MAXL]; // the scratch's activations
  for (int l = 0; l < L; l++) act[l] = q.act[l];
  const int inPlace = e->back || (e->block >= R && e->blockKeep >= R);
  for (int s = 0; s < S; s++) {
    float *pr = e->probs + (long)s * e->probsRows * C;
    for (int l = 0; l < L - 1; l++) q.act[l] = inPlace && e->hidden[l] ? e->hidden[l] + (long)s * e->hiddenRows * c->width[l] : act[l];
    if (!e->back) {
      forward(c, s, c->w, c->b, &q, 0);
      for (int i = 0; i < R * C; i++) pr[i] = f_exp(q.logp[i]);
      for (int l = 0; l < L - 1; l++) {
        if (!e->hidden[l] || inPlace) continue;
        const int N = c->width[l];
        float *h = e->hidden[l] + (long)s * e->hiddenRows * N;
        for (int r = 0; r < R; r += e->block, h += e->blockKeep * N)
          copy(h, q.act[l] + r * N, (R - r < e->blockKeep ? R - r : e->blockKeep) * N);
      }
    }
    if (!e->y) continue;
    for (int i = 0; i < R; i++) {
      float sy = 0.f;
      for (int k = 0; k < C; k++) sy += e->y[i * C + k];
      for (int k = 0; k < C; k++) dlg[i * C + k] = sy * pr[i * C + k] - e->y[i * C + k];
    }
    backward(c, s, &q, dlg, 0.f, dh, dz, wt, 0, 0, gradSink, &gs);
  }
}
