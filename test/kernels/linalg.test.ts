// The float64 linear-algebra kernel (src/kernels/linalg.c) against the JavaScript it replaced
// (_linalg-reference.ts): the same numbers bit for bit on matrices of many shapes and scales, its
// port of V8's Math.hypot on 10⁷ pairs, and eigenvalues known in closed form.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { absSums, allFinite, attribution, columnGram, deadUnits, hypot, ldaParts, representationSeed, rowGram, smallGramEigenvalues, smallGramEigenvaluesMany, symmetricEigenvalues } from "../../src/kernels/linalg.ts";
import { centreColumns, centredRowGram, ckaOfRowGrams } from "../../src/metrics/cka.ts";
import { centredParticipationRatio, participationRatio } from "../../src/metrics/rank.ts";
import { effectiveRankFast, effectiveRanksFast } from "../../src/metrics/live/plasticity.ts";
import { crossProduct, rowGram as metricsRowGram, smallGram } from "../../src/metrics/_linalg.ts";
import * as ref from "./_linalg-reference.ts";
import { splitHalves } from "../../src/metrics/probe.ts";
import { mean as average } from "../../src/util/stats.ts";

/** Deterministic uniform [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Index of the first element that differs (Object.is: −0 ≠ +0, NaN = NaN), or −1. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
function sameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  const i = firstDiff(got, want);
  assert.equal(i, -1, `${what}: entry ${i} is ${got[i]}, the JavaScript gives ${want[i]} (lengths ${got.length}, ${want.length})`);
}
function sameOutcome(got: Float64Array | string, want: Float64Array | string, what: string) {
  if (typeof got === "string" || typeof want === "string") assert.equal(got, want, what);
  else sameBits(got, want, what);
}
/** The value, or the error's message: both must agree. */
function outcome<T>(f: () => T): T | string {
  try { return f(); } catch (e) { return `throws ${(e as Error).message}`; }
}

// Test matrices [M, H]: random of both signs, ReLU-like, zero rows and columns, rank-deficient,
// huge and tiny magnitudes (squares overflow or go subnormal), float32.
type Case = { name: string; M: number; H: number; x: Float64Array | Float32Array };
function cases(): Case[] {
  const r = rng(7), out: Case[] = [];
  const shapes: [number, number][] = [[0, 3], [3, 0], [1, 1], [1, 5], [5, 1], [2, 3], [3, 2], [7, 7], [5, 9], [9, 5], [13, 31], [31, 13], [64, 128], [128, 64], [128, 128], [33, 33], [6, 130]];
  for (const [M, H] of shapes) {
    const rand = Float64Array.from({ length: M * H }, () => r() * 2 - 1);
    out.push({ name: `random ${M}×${H}`, M, H, x: rand });
    out.push({ name: `relu ${M}×${H}`, M, H, x: rand.map((v) => Math.max(0, v)) });
    out.push({ name: `float32 ${M}×${H}`, M, H, x: Float32Array.from(rand, (v) => Math.max(0, v) * 3) });
    const holes = rand.slice();
    for (let i = 0; i < M; i += 3) holes.fill(0, i * H, (i + 1) * H); // zero rows
    for (let j = 1; j < H; j += 4) for (let i = 0; i < M; i++) holes[i * H + j] = 0; // zero columns
    out.push({ name: `zero rows and columns ${M}×${H}`, M, H, x: holes });
    const k = 2, u = Float64Array.from({ length: M * k }, () => r() - 0.5), v = Float64Array.from({ length: k * H }, () => r() - 0.5);
    const low = new Float64Array(M * H); // rank ≤ 2
    for (let i = 0; i < M; i++) for (let j = 0; j < H; j++) for (let q = 0; q < k; q++) low[i * H + j]! += u[i * k + q]! * v[q * H + j]!;
    out.push({ name: `rank-2 ${M}×${H}`, M, H, x: low });
    out.push({ name: `huge ${M}×${H}`, M, H, x: rand.map((v, i) => v * 10 ** (100 + (i % 120))) });
    out.push({ name: `tiny ${M}×${H}`, M, H, x: rand.map((v, i) => v * 10 ** (-150 - (i % 170))) });
    out.push({ name: `mixed scales ${M}×${H}`, M, H, x: rand.map((v, i) => v * 2 ** ((i * 37) % 120 - 60)) });
  }
  out.push({ name: "zero 4×6", M: 4, H: 6, x: new Float64Array(24) });
  out.push({ name: "negative zeros 3×3", M: 3, H: 3, x: new Float64Array(9).fill(-0) });
  out.push({ name: "one entry 1×1", M: 1, H: 1, x: Float64Array.of(-3) });
  return out;
}
const CASES = cases();

describe("Gram matrices: the JavaScript's numbers bit for bit", () => {
  it("row Gram X Xᵀ (kernel and metrics' rowGram)", () => {
    for (const { name, M, H, x } of CASES) {
      const want = ref.rowGram(Float64Array.from(x), M, H);
      sameBits(rowGram(x, M, H), want, name);
      sameBits(metricsRowGram(x, M, H), want, name);
    }
  });
  it("column Gram XᵀX, and crossProduct(x, x) and smallGram that use it", () => {
    for (const { name, M, H, x } of CASES) {
      const want = ref.selfCrossProduct(x, M, H);
      sameBits(columnGram(x, M, H), want, name);
      sameBits(crossProduct(x, x, M, H, H), want, name);
      const small = smallGram(x, M, H);
      sameBits(small.g, H <= M ? want : ref.rowGram(Float64Array.from(x), M, H), `smallGram ${name}`);
    }
  });
  it("with non-finite entries (the kernel's rowGram has no finite-only shortcut)", () => {
    const x = Float64Array.of(1, Infinity, 0, 2, NaN, -1, 0, -Infinity, 3, 0, 0, 1);
    sameBits(rowGram(x, 3, 4), ref.rowGram(x, 3, 4), "3×4 with ±Infinity and NaN");
    sameBits(rowGram(x, 4, 3), ref.rowGram(x, 4, 3), "4×3 with ±Infinity and NaN");
  });
});

describe("eigenvalues: the JavaScript's tred2 + tqli bit for bit", () => {
  it("of each case's smaller Gram matrix, and its effective rank", () => {
    for (const { name, M, H, x } of CASES) {
      const n = Math.min(M, H), g = M >= H ? ref.selfCrossProduct(x, M, H) : ref.rowGram(Float64Array.from(x), M, H);
      const want = outcome(() => ref.symmetricEigenvalues(g.slice(), n));
      sameOutcome(outcome(() => smallGramEigenvalues(x, M, H)), want, name);
      sameOutcome(outcome(() => symmetricEigenvalues(g, n)), want, `${name}, from the Gram`);
      assert.ok(Object.is(outcome(() => effectiveRankFast(x, M, H)), outcome(() => ref.effectiveRankFast(x, M, H))), `effective rank of ${name}`);
    }
  });
  it("many at once (QL interleaved four at a time): each one's numbers, and the first failure's error", () => {
    const byShape = new Map<string, Case[]>();
    for (const c of CASES) byShape.set(`${c.M}×${c.H}`, [...(byShape.get(`${c.M}×${c.H}`) ?? []), c]);
    for (const [shape, cs] of byShape) {
      const [M, H] = [cs[0]!.M, cs[0]!.H];
      const want = cs.map(({ x }) => outcome(() => smallGramEigenvalues(x, M, H)));
      for (const take of new Set([1, 2, 3, 4, 5, cs.length].filter((t) => t <= cs.length))) { // groups of 4 with every remainder
        const xs = cs.slice(0, take).map((c) => c.x), firstBad = want.slice(0, take).find((w) => typeof w === "string");
        const got = outcome(() => smallGramEigenvaluesMany(xs, M, H));
        if (firstBad !== undefined) assert.equal(got, firstBad, `${shape}, ${take} at once`);
        else {
          assert.equal((got as Float64Array[]).length, take);
          (got as Float64Array[]).forEach((g, k) => sameBits(g, want[k] as Float64Array, `${cs[k]!.name}, ${take} at once`));
        }
      }
      const ranks = outcome(() => effectiveRanksFast(cs.map((c) => c.x), M, H)), one = cs.map(({ x }) => outcome(() => effectiveRankFast(x, M, H)));
      if (typeof ranks === "string") assert.equal(ranks, one.find((r) => typeof r === "string"), shape);
      else one.forEach((r, k) => assert.ok(Object.is(ranks[k], r), `effective rank of ${cs[k]!.name} among ${cs.length}`));
    }
    // a NaN in the middle: NaN there, the others as alone; a Gram that overflows in the middle: its error
    const r = rng(5), xs = Array.from({ length: 7 }, () => Float64Array.from({ length: 40 * 24 }, () => Math.max(0, r() - 0.3)));
    xs[3]![17] = NaN;
    sameBits(effectiveRanksFast(xs, 40, 24), xs.map((x) => ref.effectiveRankFast(x, 40, 24)), "seven 40×24 with a NaN in the fourth");
    const huge = Float64Array.from({ length: 12 }, (_, i) => (i % 5) * 1e200 - 1e200);
    const four = [xs[0]!.subarray(0, 12), huge, xs[1]!.subarray(0, 12), huge];
    assert.equal(outcome(() => effectiveRanksFast(four, 4, 3)), outcome(() => ref.effectiveRankFast(huge, 4, 3)));
  });
  it("of random symmetric matrices, indefinite, with garbage above the diagonal (only the lower triangle is read)", () => {
    const r = rng(11);
    for (const n of [1, 2, 3, 4, 5, 8, 17, 40, 127, 128]) {
      const a = Float64Array.from({ length: n * n }, () => r() * 2 - 1);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
      sameBits(symmetricEigenvalues(a, n), ref.symmetricEigenvalues(a.slice(), n), `symmetric ${n}×${n}`);
      const lower = a.slice();
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) lower[i * n + j] = 1e9 * (r() - 0.5);
      sameBits(symmetricEigenvalues(lower, n), ref.symmetricEigenvalues(lower.slice(), n), `lower triangle ${n}×${n}`);
    }
  });
  it("of a diagonal matrix: the diagonal, descending, exactly", () => {
    const diag = [3, -1, 0, 7.5, 2, 2, 1e-300, -4];
    const n = diag.length, a = new Float64Array(n * n);
    diag.forEach((v, i) => (a[i * n + i] = v));
    assert.deepEqual(Array.from(symmetricEigenvalues(a, n)), [...diag].sort((p, q) => q - p));
  });
  it("of the tridiagonal Toeplitz matrix (a on the diagonal, b beside it): a + 2b·cos(kπ/(n+1))", () => {
    for (const [n, a, b] of [[10, 2, -1], [64, 0.5, 0.3], [128, -1, 2]] as const) {
      const m = new Float64Array(n * n);
      for (let i = 0; i < n; i++) { m[i * n + i] = a; if (i > 0) m[i * n + i - 1] = m[(i - 1) * n + i] = b; }
      const want = Array.from({ length: n }, (_, k) => a + 2 * b * Math.cos(((k + 1) * Math.PI) / (n + 1))).sort((p, q) => q - p);
      const got = symmetricEigenvalues(m, n);
      want.forEach((w, k) => assert.ok(Math.abs(got[k]! - w) <= 1e-12 * (Math.abs(a) + 2 * Math.abs(b)), `n=${n}: λ${k} = ${got[k]}, want ${w}`));
    }
  });
  it("throws the JavaScript's error when QL does not converge (a NaN in the matrix)", () => {
    for (const n of [2, 5]) {
      const a = new Float64Array(n * n).fill(1);
      a[n] = NaN; // (1, 0): lower triangle
      assert.throws(() => ref.symmetricEigenvalues(a.slice(), n), /QL did not converge \(eigenvalue 0 of \d+\)/);
      assert.equal(outcome(() => symmetricEigenvalues(a, n)), outcome(() => ref.symmetricEigenvalues(a.slice(), n)));
    }
    // finite activations whose Gram overflows: both give up the same way
    const x = Float64Array.from({ length: 12 }, (_, i) => (i % 5) * 1e200 - 1e200);
    const want = outcome(() => ref.effectiveRankFast(x, 4, 3));
    assert.equal(typeof want, "string", "the reference throws on an overflowing Gram");
    assert.equal(outcome(() => effectiveRankFast(x, 4, 3)), want);
  });
});

/** The LDA probe's plain JavaScript loops (probe.ts ldaDecodability before the kernel): means [E, H], σ²_h + floor [H], each test row's smallest distance. */
function ldaReference(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, E: number) {
  const { train, test } = splitHalves(labels, E);
  const mean = new Float64Array(E * H), count = new Float64Array(E), variance = new Float64Array(H);
  for (const i of train) {
    const e = labels[i]!;
    count[e]!++;
    for (let h = 0; h < H; h++) mean[e * H + h]! += x[i * H + h]!;
  }
  for (let e = 0; e < E; e++) for (let h = 0; h < H; h++) mean[e * H + h]! /= Math.max(count[e]!, 1);
  for (const i of train) for (let h = 0; h < H; h++) variance[h]! += (x[i * H + h]! - mean[labels[i]! * H + h]!) ** 2 / train.length;
  const floor = 1e-6 * average(variance) + 1e-12;
  const dist: number[] = [];
  let hits = 0;
  for (const i of test) {
    let best = 0, bestD = Infinity;
    for (let e = 0; e < E; e++) {
      let d = 0;
      for (let h = 0; h < H; h++) d += (x[i * H + h]! - mean[e * H + h]!) ** 2 / (variance[h]! + floor);
      if (d < bestD) [best, bestD] = [e, d];
    }
    dist.push(bestD);
    hits += +(best === labels[i]);
  }
  return { hits, test: test.length, mean, spread: variance.map((v) => v + floor), dist };
}

describe("the LDA probe: the JavaScript's numbers bit for bit", () => {
  it("class means, pooled variance with its floor, each test row's distance and the hits, on many shapes and scales, with NaN and ±Infinity", () => {
    const r = rng(11);
    const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    for (let t = 0; t < 120; t++) {
      const M = 2 + ((t * 13) % 140), H = 1 + ((t * 29) % 133), E = 2 + (t % 5), scale = 10 ** ((t % 9) - 4);
      const labels = Int32Array.from({ length: M }, () => Math.floor(r() * E)); // some envs may have no rows
      const x = Float64Array.from({ length: M * H }, (_, i) => (i % 17 === 5 ? 0 : (normal() + labels[Math.floor(i / H)]! * 0.4) * scale));
      if (t % 6 === 1) x[Math.floor(r() * x.length)] = NaN;
      if (t % 6 === 2) x[Math.floor(r() * x.length)] = -Infinity;
      if (t % 6 === 3) x.fill(3, 0, Math.min(x.length, 3 * H)); // identical rows
      for (const xs of [x, Float32Array.from(x)]) {
        const got = ldaParts(xs, labels, M, H, E), want = ldaReference(xs, labels, M, H, E);
        const what = `case ${t} (M ${M}, H ${H}, E ${E}, ${xs.constructor.name})`;
        sameBits(got.mean, want.mean, `${what} means`);
        sameBits(got.spread, want.spread, `${what} spread`);
        sameBits(got.dist, want.dist, `${what} distances`);
        assert.deepEqual([got.hits, got.test], [want.hits, want.test], what);
      }
    }
  });
});

describe("the routing metric's attribution: the JavaScript's numbers bit for bit", () => {
  it("Σ_i |r|·w / n per env and unit, over many shapes and scales, with NaN, ±Infinity and −0", () => {
    const r = rng(12);
    for (let t = 0; t < 60; t++) {
      const E = 1 + (t % 4), n = 1 + ((t * 7) % 70), H = 1 + ((t * 13) % 130), scale = 10 ** ((t % 9) - 4);
      const x = Float32Array.from({ length: E * n * H }, (_, i) => (i % 11 === 3 ? 0 : (r() - 0.3) * scale));
      const w = Float32Array.from({ length: H }, (_, h) => (h % 9 === 4 ? 0 : r() * 3));
      if (t % 4 === 1) x[Math.floor(r() * x.length)] = NaN;
      if (t % 4 === 2) [x[Math.floor(r() * x.length)], w[0]] = [-Infinity, -0];
      const want = new Float64Array(E * H); // the plain loop it replaced (mechanism.ts)
      for (let e = 0; e < E; e++)
        for (let h = 0; h < H; h++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += (Math.abs(x[(e * n + i) * H + h]!) * w[h]!) / n;
          want[e * H + h] = s;
        }
      sameBits(attribution(x, w, E, n, H), want, `case ${t} (E ${E}, n ${n}, H ${H})`);
    }
  });
});

describe("the representation metric's seed (CKA across cues and checkpoints, participation ratio): the JavaScript's numbers bit for bit", () => {
  it("against cka.ts and rank.ts on many shapes (fewer and more rows than units) and scales, with NaN, ±Infinity, −0, constant columns, and each kind of previous checkpoint", () => {
    const r = rng(14);
    const shapes: [number, number, number][] = [[2, 64, 128], [1, 10, 9], [3, 7, 19], [2, 5, 17], [2, 1, 3], [4, 3, 2], [1, 1, 1], [2, 33, 7], [3, 16, 48]];
    let fallbacks = 0;
    for (let t = 0; t < 90; t++) {
      const [E, n, H] = shapes[t % shapes.length]!, M = E * n, scale = 10 ** ((t % 7) * 12 - 36);
      const make = () => Float32Array.from({ length: M * H }, (_, i) => (i % H === 1 ? 0.5 : i % 13 === 2 ? -0 : Math.max(t % 2 ? -Infinity : 0, r() - 0.3) * scale));
      const x = make(), before = make();
      const kind = Math.floor(t / shapes.length) % 5; // 0: clean, 1: a NaN, 2: ±Infinity, 3: one constant cue block, 4: all constant
      if (kind === 1) x[Math.floor(r() * x.length)] = NaN;
      if (kind === 2) [x[Math.floor(r() * x.length)], before[0]] = [Infinity, -Infinity];
      if (kind === 3) x.fill(0.25, 0, n * H);
      if (kind === 4) x.fill(-0);
      const block = (a: number) => x.subarray(a * n * H, (a + 1) * n * H);
      let ckaEnv = NaN; // mechanism.ts's loop on the JavaScript functions
      if (E > 1) {
        const g = Array.from({ length: E }, (_, a) => centredRowGram(block(a), n, H));
        let cka = 0, pairs = 0;
        for (let a = 0; a < E; a++) for (let b = a + 1; b < E; b++, pairs++) cka += ckaOfRowGrams(g[a]!, g[b]!);
        ckaEnv = cka / pairs;
      }
      const gram = centredRowGram(x, M, H), prevGram = centredRowGram(before, M, H), dim = participationRatio(x, M, H);
      for (const [what, prev] of [["no previous", undefined], ["previous Gram", prevGram], ["previous rows", before]] as const) {
        const got = representationSeed(x, prev, E, n, H), at = `case ${t} (E ${E}, n ${n}, H ${H}, kind ${kind}, ${what})`;
        assert.ok(Object.is(got.ckaEnv, ckaEnv), `${at}: ckaEnv ${got.ckaEnv} vs ${ckaEnv}`);
        const ckaTime = prev ? ckaOfRowGrams(prevGram, gram) : NaN;
        assert.ok(Object.is(got.ckaTime, ckaTime), `${at}: ckaTime ${got.ckaTime} vs ${ckaTime}`);
        sameBits(got.gram.k, gram.k, `${at}: Gram`);
        assert.ok(Object.is(got.gram.ss, gram.ss), `${at}: Σ g²`);
        if (got.dim === undefined) { // the column Gram met a non-finite entry: the caller's JavaScript, from the centred rows handed back
          fallbacks++;
          assert.ok(M >= H && kind > 0 && kind < 3 || t % 2 === 1, `${at}: no fallback expected`);
          sameBits(got.xc!, centreColumns(x, M, H), `${at}: centred rows`);
          assert.ok(Object.is(centredParticipationRatio(got.xc!, M, H), dim), `${at}: dim`);
        } else assert.ok(Object.is(got.dim, dim), `${at}: dim ${got.dim} vs ${dim}`);
      }
    }
    assert.ok(fallbacks > 0, "some case takes the non-finite fallback");
  });
});

describe("the plasticity metric's sums and counts: the JavaScript's numbers bit for bit", () => {
  it("Σ|w| per seed over the leaves in order (any seed count, NaN, ±Infinity, −0, wide scales)", () => {
    const r = rng(13);
    for (let t = 0; t < 40; t++) {
      const S = 1 + (t % 9), leaves = Array.from({ length: 1 + (t % 4) }, (_, k) => {
        const l = Float32Array.from({ length: S * (1 + ((t * 37 + k * 101) % 3000)) }, () => (r() - 0.5) * 10 ** Math.floor(r() * 12 - 6));
        if ((t + k) % 5 === 1) l[Math.floor(r() * l.length)] = NaN;
        if ((t + k) % 5 === 2) [l[0], l[l.length - 1]] = [-Infinity, -0];
        return l;
      });
      const want = new Float64Array(S); // the plain loop it replaced (live/plasticity.ts meanAbsWeight)
      for (const l of leaves) {
        const n = l.length / S;
        for (let s = 0; s < S; s++) for (let i = s * n; i < (s + 1) * n; i++) want[s]! += Math.abs(l[i]!);
      }
      sameBits(absSums(leaves, S), want, `case ${t} (S ${S})`);
    }
  });
  it("units zero on every row (−0 counts as 0, NaN does not)", () => {
    const x = new Float64Array(5 * 4); // [5, 4]
    x[1 * 4 + 1] = 1e-30; // unit 1 is alive on one row
    x[3 * 4 + 2] = -0; // unit 2 is −0 there: still dead
    x[4 * 4 + 3] = NaN; // unit 3: not 0
    assert.equal(deadUnits(x, 5, 4), 2);
    assert.equal(deadUnits(Float32Array.from(x), 5, 4), 2);
    assert.equal(deadUnits(new Float32Array(6), 2, 3), 3);
    assert.equal(deadUnits([], 0, 3), 3); // no rows: every unit is zero on all of them
  });
});

describe("the kernel's finiteness check", () => {
  it("is false exactly when one of the first n entries is NaN or ±Infinity, wherever it is", () => {
    const r = rng(9);
    for (const len of [0, 1, 7, 8, 9, 17, 16384]) {
      const x = Float64Array.from({ length: len }, () => (r() - 0.5) * 10 ** Math.floor(r() * 600 - 300));
      if (len > 0) x[0] = Number.MAX_VALUE; // finite, however large
      assert.equal(allFinite(x), true, `finite, length ${len}`);
      for (const bad of [NaN, Infinity, -Infinity])
        for (const at of new Set([0, len >> 1, len - 2, len - 1].filter((i) => i >= 0 && i < len))) {
          const y = x.slice();
          y[at] = bad;
          assert.equal(allFinite(y), false, `${bad} at ${at} of ${len}`);
          assert.equal(allFinite(Float32Array.from(y)), false, `float32: ${bad} at ${at} of ${len}`);
          assert.equal(allFinite(y, at), true, `${bad} at ${at}, only the first ${at} read`);
        }
    }
  });
});

describe("the kernel's Math.hypot", () => {
  it("is Math.hypot bit for bit on 10⁷ pairs: random bits (every exponent, subnormals, ±0, ±Infinity, NaN), near-equal and special values", () => {
    const r = rng(3), N = 10_000_000, bits = new Uint32Array(4), f = new Float64Array(bits.buffer);
    const special = [0, -0, 1, -1, Infinity, -Infinity, NaN, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON, 1e-160, 1e160, 2 ** -537, 2 ** 511];
    let bad = 0, first = "";
    for (let i = 0; i < N; i++) {
      for (let w = 0; w < 4; w++) bits[w] = (r() * 2 ** 32) >>> 0;
      let a = f[0]!, b = f[1]!;
      switch (i & 3) {
        case 1: b = a * (1 + (f[1]! % 1)); break; // comparable magnitudes: both squares count
        case 2: a = (r() - 0.5) * 2 ** Math.floor(r() * 2098 - 1074); b = (r() - 0.5) * 2 ** Math.floor(r() * 2098 - 1074); break;
        case 3: a = special[i % special.length]!; if (i % 7 === 0) b = special[(i >> 3) % special.length]!; break;
      }
      const want = Math.hypot(a, b), got = hypot(a, b);
      if (!Object.is(got, want)) { bad++; first ||= `hypot(${a}, ${b}): kernel ${got}, Math.hypot ${want}`; }
    }
    assert.equal(bad, 0, first);
  });
});

describe("the committed linalg kernel", () => {
  it("is what scripts/build-kernel.sh builds from src/kernels/linalg.c", (t) => {
    const clang = spawnSync("clang", ["--version"]);
    if (clang.error || clang.status !== 0) return t.skip("no clang here (apt-get install -y clang lld): the committed .wasm cannot be rebuilt to compare");
    const out = join(mkdtempSync(join(tmpdir(), "ecotone-kernel-")), "linalg.wasm");
    const r = spawnSync(fileURLToPath(new URL("../../scripts/build-kernel.sh", import.meta.url)), ["linalg", out], { encoding: "utf8" });
    if (r.status !== 0 && /wasm-ld|unknown target|lld/.test(r.stderr)) return t.skip(`clang cannot link wasm32 here: ${r.stderr.trim().split("\n").pop()}`);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(new URL("../../src/kernels/linalg.wasm", import.meta.url))), "src/kernels/linalg.wasm is stale: run scripts/build-kernel.sh linalg");
  });
});
