// The representation metric and the CKA / participation-ratio functions it runs give the very numbers
// (Object.is, bit for bit) that the straightforward code they replaced gave: a reference copy of that
// code is kept below (the row Gram itself is shared: it has tests of its own).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { centredRowGram, ckaOfRowGrams, linearCka } from "../../src/metrics/cka.ts";
import { representation } from "../../src/metrics/live/mechanism.ts";
import { participationRatio, rowGram } from "../../src/metrics/rank.ts";
import type { RunPlan } from "../../src/train/plan.ts";
import { Rng } from "../../src/util/rng.ts";

// ---- reference: the code as it stood before the rewrite (do not optimise) ----
function refCenter(x: ArrayLike<number>, M: number, H: number): Float64Array {
  const out = Float64Array.from(x);
  for (let j = 0; j < H; j++) {
    let mu = 0;
    for (let i = 0; i < M; i++) mu += out[i * H + j]!;
    mu /= M;
    for (let i = 0; i < M; i++) out[i * H + j]! -= mu;
  }
  return out;
}

function refCross(a: Float64Array, b: Float64Array, M: number, P: number, Q: number): Float64Array {
  if (a === b && P === Q && a.every(Number.isFinite)) {
    const t = new Float64Array(P * M);
    for (let i = 0; i < M; i++) for (let p = 0; p < P; p++) t[p * M + i] = a[i * P + p]!;
    return rowGram(t, P, M);
  }
  const out = new Float64Array(P * Q);
  for (let i = 0; i < M; i++)
    for (let p = 0; p < P; p++) {
      const ap = a[i * P + p]!;
      if (ap === 0) continue;
      for (let q = 0; q < Q; q++) out[p * Q + q]! += ap * b[i * Q + q]!;
    }
  return out;
}

const refSumSquares = (a: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!; return s; };
const refUsesRowGrams = (M: number, H1: number, H2: number) => M * (H1 + H2) < H1 * H1 + H2 * H2 + H1 * H2;
function refGram(x: ArrayLike<number>, M: number, H: number) {
  const k = rowGram(refCenter(x, M, H), M, H);
  return { k, ss: refSumSquares(k) };
}
function refCkaOfGrams(x: { k: Float64Array; ss: number }, y: { k: Float64Array; ss: number }): number {
  let xy = 0;
  for (let i = 0; i < x.k.length; i++) xy += x.k[i]! * y.k[i]!;
  if (x.ss === 0 || y.ss === 0) return NaN;
  return Math.min(1, xy / Math.sqrt(x.ss * y.ss));
}
function refCka(x: ArrayLike<number>, y: ArrayLike<number>, M: number, H1: number, H2: number): number {
  if (refUsesRowGrams(M, H1, H2)) return refCkaOfGrams(refGram(x, M, H1), refGram(y, M, H2));
  const xc = refCenter(x, M, H1), yc = refCenter(y, M, H2);
  const hsic = (a: Float64Array, b: Float64Array, P: number, Q: number) => refSumSquares(refCross(a, b, M, P, Q));
  const xy = hsic(xc, yc, H1, H2), xx = hsic(xc, xc, H1, H1), yy = hsic(yc, yc, H2, H2);
  if (xx === 0 || yy === 0) return NaN;
  return Math.min(1, xy / Math.sqrt(xx * yy));
}
function refPr(x: ArrayLike<number>, M: number, H: number): number {
  const xc = refCenter(x, M, H), n = Math.min(M, H);
  const g = M < H ? rowGram(xc, M, H) : refCross(xc, xc, M, H, H);
  let tr = 0, fro = 0;
  for (let i = 0; i < n; i++) tr += g[i * n + i]!;
  for (const v of g) fro += v * v;
  return fro > 0 ? (tr * tr) / fro : 0;
}

/** The representation metric as it stood, over a run of checkpoints (each [S, E·mechN, H]). */
function refRepresentation(reps: Float32Array[], S: number, E: number, mechN: number, H: number): Record<string, Float64Array>[] {
  let prev: Float32Array | undefined;
  return reps.map((rep) => {
    const M = E * mechN, ckaEnv = new Float64Array(S), ckaTime = new Float64Array(S), dim = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      const r = rep.subarray(s * M * H, (s + 1) * M * H), block = (a: number) => r.subarray(a * mechN * H, (a + 1) * mechN * H);
      if (E > 1) {
        let cka = 0, pairs = 0;
        for (let a = 0; a < E; a++) for (let b = a + 1; b < E; b++, pairs++) cka += refCka(block(a), block(b), mechN, H, H);
        ckaEnv[s] = cka / pairs;
      } else ckaEnv[s] = NaN;
      ckaTime[s] = prev ? refCka(prev.subarray(s * M * H, (s + 1) * M * H), r, M, H, H) : NaN;
      dim[s] = refPr(r, M, H);
    }
    prev = rep.slice();
    return { "rep/ckaEnv": ckaEnv, "rep/ckaTime": ckaTime, "rep/dim": dim };
  });
}
// ---- end of reference ----

function activations(rng: Rng, n: number, H: number, opts: { negative?: boolean; nan?: boolean; constant?: boolean } = {}): Float32Array {
  const x = Float32Array.from({ length: n * H }, (_, i) => {
    if (opts.constant) return 0.25;
    if (i % H === 3) return 0; // a dead unit
    const v = rng.normal() + (i % 5) * 0.3;
    return opts.negative ? v : Math.max(0, v);
  });
  if (opts.nan) x[7] = NaN;
  return x;
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

const cases = [
  { S: 2, E: 2, n: 64, H: 128, name: "the quickstart shape (2 cues × 64 probes, 128 units)" },
  { S: 2, E: 3, n: 7, H: 19, name: "3 cues, odd sizes" },
  { S: 2, E: 2, n: 40, H: 6, name: "more probes than units (the column-Gram CKA)" },
  { S: 3, E: 1, n: 10, H: 9, name: "one cue" },
  { S: 2, E: 2, n: 6, H: 20, name: "fewer probe rows than units (the dimension from the row Gram)" },
];

describe("representation is bit-identical to the reference code", () => {
  for (const c of cases)
    for (const variant of [{}, { negative: true }, { nan: true }, { constant: true }] as const) {
      it(`${c.name} ${JSON.stringify(variant)}, over 3 checkpoints and a restore`, () => {
        const rng = new Rng(c.S * 100 + c.E * 10 + c.n, 9);
        const reps = Array.from({ length: 4 }, (_, t) => activations(rng, c.S * c.E * c.n, c.H, t === 1 ? variant : {}));
        const plan = { world: { trained: c.E }, model: { hidden: [5, c.H] } } as unknown as RunPlan;
        const seeds = Array.from({ length: c.S }, (_, s) => s);
        const ctx = (rep: Float32Array) => ({ counterfactual: () => ({ probs: new Float32Array(0), hidden: [new Float32Array(0), rep], mechN: c.n }) }) as never;
        const want = refRepresentation(reps, c.S, c.E, c.n, c.H);
        const m = representation.create(plan, seeds);
        const got = reps.slice(0, 3).map((r) => m.measure(ctx(r)) as Record<string, Float64Array>);
        // a resumed run: the state saved after checkpoint 3 restored into a fresh metric
        const resumed = representation.create(plan, seeds);
        resumed.restore!(3, seeds.map((s) => m.state!(s)));
        got.push(resumed.measure(ctx(reps[3]!)) as Record<string, Float64Array>);
        want.forEach((w, t) => { for (const k of Object.keys(w)) same(got[t]![k]!, w[k]!, `checkpoint ${t} ${k}`); });
      });
    }
});

describe("the representation functions are bit-identical to the reference code", () => {
  const rng = new Rng(11, 2);
  it("linearCka, centredRowGram + ckaOfRowGrams and participationRatio on random shapes, Float32 and Float64 input", () => {
    for (let t = 0; t < 40; t++) {
      const M = 2 + ((t * 7) % 30), H1 = 1 + ((t * 5) % 23), H2 = 1 + ((t * 3) % 19);
      const x64 = Float64Array.from({ length: M * H1 }, (_, i) => (i % 5 === 0 ? 0 : rng.normal()));
      const y64 = Float64Array.from({ length: M * H2 }, () => rng.normal());
      if (t % 9 === 4) x64[1] = Infinity;
      for (const [x, y] of [[x64, y64], [Float32Array.from(x64), Float32Array.from(y64)]] as const) {
        assert.ok(Object.is(linearCka(x, y, M, H1, H2), refCka(x, y, M, H1, H2)), `linearCka case ${t}`);
        const g = centredRowGram(x, M, H1), rg = refGram(x, M, H1);
        same(g.k, rg.k, `centredRowGram case ${t}`);
        assert.ok(Object.is(g.ss, rg.ss));
        assert.ok(Object.is(ckaOfRowGrams(g, centredRowGram(y, M, H2)), refCkaOfGrams(rg, refGram(y, M, H2))));
        assert.ok(Object.is(participationRatio(x, M, H1), refPr(x, M, H1)), `participationRatio case ${t}`);
      }
    }
  });
});
