// Host side of the metrics' float64 linear algebra (linalg.c, compiled to linalg.wasm by
// scripts/build-kernel.sh): one instance per thread, its memory reused from call to call. The
// numbers are those of the JavaScript it replaced, bit for bit (test/kernels/linalg.test.ts).
import { readFileSync } from "node:fs";

type Exports = {
  memory: WebAssembly.Memory;
  reserve(bytes: number): number;
  colGram(x: number, R: number, P: number, scratch: number, g: number): void;
  rowGram(x: number, M: number, H: number, scratch: number, g: number): void;
  symEig(a: number, n: number, d: number, e: number): number;
  symEig4(a: number, d: number, e: number, count: number, n: number, fail: number): void;
  hypot(a: number, b: number): number;
  allFinite(x: number, n: number): number;
  ldaHits(x: number, labels: number, M: number, H: number, E: number, seen: number, train: number, test: number, mean: number, spread: number, dist: number, out: number): void;
  unitSelectivity(x: number, labels: number, M: number, H: number, E: number, kind: number, count: number, mean: number, variance: number, sel: number): number;
  attribution(r: number, w: number, E: number, n: number, H: number, a: number): void;
  absSums(x: number, n: number, S: number, sum: number): void;
  deadUnits(x: number, M: number, H: number): number;
  maskOverlap(scores: number, E: number, H: number, k: number, mask: number, best: number, nan: number): number;
  representationSeed(r: number, prevRows: number, prevKind: number, M: number, H: number, E: number, n: number, xc: number, scratch: number, genv: number, g: number, prevG: number, gsmall: number, out: number): void;
};

let ex: Exports | undefined; // once per thread
function kernel(): Exports {
  return (ex ??= new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL("./linalg.wasm", import.meta.url))), {}).exports as unknown as Exports);
}

/** Room for arrays of the given lengths (doubles) in the kernel's memory → each one's byte offset, and the memory's buffer. */
function layout(...lengths: number[]): { at: number[]; buf: ArrayBuffer } {
  const k = kernel(), pad = (n: number) => Math.ceil(n / 8) * 64; // 64-byte aligned
  const bytes = lengths.reduce((s, n) => s + pad(n), 0);
  const base = k.reserve(bytes);
  if (!base) throw new RangeError(`linalg kernel: cannot allocate ${bytes} bytes`);
  const at: number[] = [];
  let p = base;
  for (const n of lengths) { at.push(p); p += pad(n); }
  return { at, buf: k.memory.buffer }; // read after reserve: growing replaces the buffer
}

/** Copies `x` (any numbers, float32 included: exact in float64) into the kernel's memory at byte offset `p`. */
function put(buf: ArrayBuffer, p: number, x: ArrayLike<number>, n: number): void {
  const v = new Float64Array(buf, p, n);
  if (x.length === n) v.set(x);
  else if (ArrayBuffer.isView(x)) v.set((x as Float32Array).subarray(0, n)); // a longer typed array: a copy, not an interpreted loop
  else for (let i = 0; i < n; i++) v[i] = x[i]!;
}

/** Gram matrix of the columns XᵀX [H, H] of `x` [M, H]: entry (a, b) = Σ_i x[i][a]·x[i][b], summed over i in order. */
export function columnGram(x: ArrayLike<number>, M: number, H: number): Float64Array {
  const { at: [px, ps, pg], buf } = layout(M * H, M * (H + 3), H * H);
  put(buf, px!, x, M * H);
  kernel().colGram(px!, M, H, ps!, pg!);
  return new Float64Array(buf, pg!, H * H).slice();
}

/** Gram matrix of the rows X Xᵀ [M, M] of `x` [M, H]: entry (i, j) = Σ_h x[i][h]·x[j][h], summed over h in order. */
export function rowGram(x: ArrayLike<number>, M: number, H: number): Float64Array {
  const { at: [px, ps, pg], buf } = layout(M * H, H * (M + 3), M * M);
  put(buf, px!, x, M * H);
  kernel().rowGram(px!, M, H, ps!, pg!);
  return new Float64Array(buf, pg!, M * M).slice();
}

function eigenvaluesAt(pa: number, n: number, pd: number, pe: number): Float64Array {
  return descending(kernel().symEig(pa, n, pd, pe), n, pd);
}
/** The eigenvalues at byte offset `pd` [n], descending, or the error for QL's outcome `l` (≥ 0: eigenvalue l did not converge). */
function descending(l: number, n: number, pd: number): Float64Array {
  if (l >= 0) throw new Error(`effective rank: QL did not converge (eigenvalue ${l} of ${n})`);
  return new Float64Array(kernel().memory.buffer, pd, n).slice().sort().reverse();
}

/**
 * Eigenvalues of the symmetric `a` [n, n] (its lower triangle is read), descending: Householder
 * to tridiagonal form, then implicit QL with Wilkinson shifts (Numerical Recipes' tred2 and tqli,
 * eigenvalues only). Throws if QL does not converge in 60 iterations for an eigenvalue.
 */
export function symmetricEigenvalues(a: ArrayLike<number>, n: number): Float64Array {
  const { at: [pa, pd, pe], buf } = layout(n * n, n, n);
  put(buf, pa!, a, n * n);
  return eigenvaluesAt(pa!, n, pd!, pe!);
}

/**
 * Eigenvalues, descending, of the smaller Gram matrix of `x` [M, H] (XᵀX [H, H] if H ≤ M, else
 * X Xᵀ [M, M]: the same non-zero spectrum), without taking the Gram out of the kernel.
 */
export function smallGramEigenvalues(x: ArrayLike<number>, M: number, H: number): Float64Array {
  const n = Math.min(M, H);
  const { at: [px, ps, pg, pd, pe], buf } = layout(M * H, Math.max(M, H) * (n + 3), n * n, n, n);
  put(buf, px!, x, M * H);
  if (M >= H) kernel().colGram(px!, M, H, ps!, pg!);
  else kernel().rowGram(px!, M, H, ps!, pg!);
  return eigenvaluesAt(pg!, n, pd!, pe!);
}

/**
 * smallGramEigenvalues of each of `xs` (each [M, H]), the same numbers, faster: four at a time, their
 * QL iterations interleaved in the kernel (one alone waits on its own chain of divisions). Throws
 * the error of the first one, in order, whose QL does not converge.
 */
export function smallGramEigenvaluesMany(xs: readonly ArrayLike<number>[], M: number, H: number): Float64Array[] {
  const n = Math.min(M, H), out: Float64Array[] = [];
  for (let g0 = 0; g0 < xs.length; g0 += 4) {
    const group = xs.slice(g0, g0 + 4);
    // the kernel's table (four addresses each of the Grams, the d and the e, then four outcomes:
    // 16 int32 = 8 doubles), one scratch, and per problem its x, Gram, d and e
    const { at: [pt, ps, ...per], buf } = layout(8, Math.max(M, H) * (n + 3), ...group.flatMap(() => [M * H, n * n, n, n]));
    const table = new Int32Array(buf, pt!, 16);
    group.forEach((x, k) => {
      const [px, pg, pd, pe] = per.slice(4 * k, 4 * k + 4) as [number, number, number, number];
      [table[k], table[4 + k], table[8 + k]] = [pg, pd, pe];
      put(buf, px, x, M * H);
      if (M >= H) kernel().colGram(px, M, H, ps!, pg);
      else kernel().rowGram(px, M, H, ps!, pg);
    });
    kernel().symEig4(pt!, pt! + 16, pt! + 32, group.length, n, pt! + 48);
    group.forEach((_, k) => out.push(descending(table[12 + k]!, n, table[4 + k]!)));
  }
  return out;
}

/** Whether the first `n` entries of `x` are all finite (no NaN, no ±Infinity): one SIMD pass in the kernel, several times faster than a loop of Number.isFinite. */
export function allFinite(x: ArrayLike<number>, n = x.length): boolean {
  const { at: [px], buf } = layout(n);
  put(buf, px!, x, n);
  return kernel().allFinite(px!, n) === 1;
}

/**
 * The nearest-class-mean LDA probe of `x` [M, H] with labels [M] (integers in [0, E), checked by
 * the caller), split by splitHalves: how many of the test half's rows lie nearest their own env's
 * mean, and how many test rows there are. The numbers of probe.ts's ldaDecodability, bit for bit;
 * in Wasm, which runs at full speed from the first call where JavaScript loops start interpreted.
 */
export function ldaHits(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, E: number): { hits: number; test: number } {
  const { out } = lda(x, labels, M, H, E);
  return { hits: out[0]!, test: out[1]! };
}

/** ldaHits and its intermediate numbers, for the tests: class means [E, H], σ²_h + floor [H], each test row's smallest distance [test]. */
export function ldaParts(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, E: number) {
  const { out, pmean, pspread, pdist } = lda(x, labels, M, H, E), buf = kernel().memory.buffer;
  const slice = (p: number, n: number) => new Float64Array(buf, p, n).slice();
  return { hits: out[0]!, test: out[1]!, mean: slice(pmean, E * H), spread: slice(pspread, H), dist: slice(pdist, out[1]!) };
}

function lda(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, E: number) {
  const ints = (n: number) => Math.ceil(n / 2); // int32 arrays, in doubles
  const { at, buf } = layout(M * H, ints(M), ints(E), ints(M), ints(M), E * H, H, M, 1);
  const [px, pl, pseen, ptrain, ptest, pmean, pspread, pdist, pout] = at as [number, number, number, number, number, number, number, number, number];
  put(buf, px, x, M * H);
  new Int32Array(buf, pl, M).set(labels);
  kernel().ldaHits(px, pl, M, H, E, pseen, ptrain, ptest, pmean, pspread, pdist, pout);
  return { out: new Int32Array(kernel().memory.buffer, pout, 2), pmean, pspread, pdist };
}

/**
 * Each unit's selectivity for its preferred env [H] (kind "index" or "dprime"), of `x` [M, H] with
 * labels [M] (integers in [0, E), E ≥ 2, checked by the caller): selectivity.ts's unitSelectivity,
 * bit for bit. → the numbers, or the first env with no row (the caller's error).
 */
export function unitSelectivityKernel(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, E: number, kind: "index" | "dprime"): Float64Array | { emptyEnv: number } {
  const { at, buf } = layout(M * H, Math.ceil(M / 2), Math.ceil((E + 1) / 2), E * H, E * H, H);
  const [px, pl, pcount, pmean, pvar, psel] = at as [number, number, number, number, number, number];
  put(buf, px, x, M * H);
  new Int32Array(buf, pl, M).set(labels);
  const empty = kernel().unitSelectivity(px, pl, M, H, E, kind === "index" ? 0 : 1, pcount, pmean, pvar, psel);
  return empty >= 0 ? { emptyEnv: empty } : new Float64Array(kernel().memory.buffer, psel, H).slice();
}

/** Attribution of unit h to env e [E, H]: the mean over env e's `n` rows of `r` [E·n, H] of |r|·w[h], `w` [H] the units' outgoing weight norms, each sum in row order. */
export function attribution(r: ArrayLike<number>, w: ArrayLike<number>, E: number, n: number, H: number): Float64Array {
  const { at: [pr, pw, pa], buf } = layout(E * n * H, H, E * H);
  put(buf, pr!, r, E * n * H);
  put(buf, pw!, w, H);
  kernel().attribution(pr!, pw!, E, n, H, pa!);
  return new Float64Array(kernel().memory.buffer, pa!, E * H).slice();
}

/** Σ|x| of each seed's share of the leaves (each [S, …], seed s owning its s-th slice) [S]: every sum over the leaves in order, each leaf's entries in order, from +0. */
export function absSums(leaves: readonly ArrayLike<number>[], S: number): Float64Array {
  const { at: [psum, ...pl], buf } = layout(S, ...leaves.map((l) => l.length));
  new Float64Array(buf, psum!, S).fill(0);
  leaves.forEach((l, k) => {
    put(buf, pl[k]!, l, l.length);
    kernel().absSums(pl[k]!, l.length / S, S, psum!);
  });
  return new Float64Array(kernel().memory.buffer, psum!, S).slice();
}

/** How many of the H units (columns) of `x` [M, H] are exactly 0 on every row. */
export function deadUnits(x: ArrayLike<number>, M: number, H: number): number {
  const { at: [px], buf } = layout(M * H);
  put(buf, px!, x, M * H);
  return kernel().deadUnits(px!, M, H);
}

/**
 * Mean pairwise Jaccard overlap of the envs' top-`k` unit masks from `scores` [E, H] (selectivity.ts's
 * maskOverlap, bit for bit; NaN for E < 2), or undefined when a score is NaN (the order is then
 * topUnits' sort's, which the caller runs).
 */
export function maskOverlapKernel(scores: ArrayLike<number>, E: number, H: number, k: number): number | undefined {
  const { at: [ps, pm, pb, pn], buf } = layout(E * H, Math.ceil((E * H) / 8), Math.ceil(k / 2), 1);
  put(buf, ps!, scores, E * H);
  const v = kernel().maskOverlap(ps!, E, H, k, pm!, pb!, pn!);
  return new Int32Array(kernel().memory.buffer, pn!, 1)[0] ? undefined : v;
}

/** A centred row Gram [M, M] and its Σ g² (cka.ts centredRowGram's result). */
export type CentredGram = { k: Float64Array; ss: number };

/**
 * One seed of the representation metric (live/mechanism.ts) where CKA works from row Grams, on its
 * rows `r` [E·n, H] (E cues × n probes): rep/ckaEnv, rep/ckaTime against `prev` (the previous
 * checkpoint's centred row Gram, or its rows [E·n, H], or none) and rep/dim, bit for bit the numbers
 * of cka.ts and rank.ts, with the float32 rows copied in once. `gram` is this checkpoint's centred
 * row Gram, for the next one. `dim` is undefined when the column Gram meets a non-finite entry:
 * the caller computes it from `xc` (the centred rows) as rank.ts does.
 */
export function representationSeed(r: Float32Array, prev: CentredGram | Float32Array | undefined, E: number, n: number, H: number): { ckaEnv: number; ckaTime: number; dim: number | undefined; gram: CentredGram; xc?: Float64Array } {
  const M = E * n, half = (k: number) => Math.ceil(k / 2); // float32 arrays, in doubles
  const rows = prev instanceof Float32Array;
  const { at, buf } = layout(half(M * H), rows ? half(M * H) : 0, M * H, Math.max(H * (M + 3), M * (H + 3)), E > 1 ? E * n * n : 0, M * M, M * M, M >= H ? H * H : 0, 8);
  const [pr, pp, pxc, ps, pgenv, pg, pprev, psmall, pout] = at as [number, number, number, number, number, number, number, number, number];
  new Float32Array(buf, pr, M * H).set(r);
  const out = new Float64Array(buf, pout, 8);
  if (rows) new Float32Array(buf, pp, M * H).set(prev);
  else if (prev) {
    new Float64Array(buf, pprev, M * M).set(prev.k);
    out[4] = prev.ss;
  }
  kernel().representationSeed(pr, pp, rows ? 2 : prev ? 1 : 0, M, H, E, n, pxc, ps, pgenv, pg, pprev, psmall, pout);
  const gram = { k: new Float64Array(buf, pg, M * M).slice(), ss: out[3]! };
  const fallback = out[5] === 1;
  return { ckaEnv: out[0]!, ckaTime: out[1]!, dim: fallback ? undefined : out[2]!, gram, ...(fallback ? { xc: new Float64Array(buf, pxc, M * H).slice() } : {}) };
}

/** Math.hypot(a, b) as the kernel computes it (V8's algorithm, ported): for the tests. */
export function hypot(a: number, b: number): number {
  return kernel().hypot(a, b);
}
