// The routing metric and the functions it runs give the very numbers (Object.is, bit for bit) that
// the straightforward code they replaced gave: a reference copy of that code is kept below.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { routing } from "../../src/metrics/live/mechanism.ts";
import { ldaDecodability, splitHalves } from "../../src/metrics/probe.ts";
import { maskOverlap, selectiveFraction, topUnits, unitSelectivity } from "../../src/metrics/selectivity.ts";
import type { RunPlan } from "../../src/train/plan.ts";
import { Rng } from "../../src/util/rng.ts";
import { mean as average } from "../../src/util/stats.ts";

// ---- reference: the code as it stood before the rewrite (do not optimise) ----
function refLda(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, E: number): number {
  const nEnv = E;
  const { train, test } = splitHalves(labels, nEnv);
  const mean = new Float64Array(nEnv * H), count = new Float64Array(nEnv), variance = new Float64Array(H);
  for (const i of train) {
    const e = labels[i]!;
    count[e]!++;
    for (let h = 0; h < H; h++) mean[e * H + h]! += x[i * H + h]!;
  }
  for (let e = 0; e < nEnv; e++) for (let h = 0; h < H; h++) mean[e * H + h]! /= Math.max(count[e]!, 1);
  for (const i of train) for (let h = 0; h < H; h++) variance[h]! += (x[i * H + h]! - mean[labels[i]! * H + h]!) ** 2 / train.length;
  const floor = 1e-6 * average(variance) + 1e-12;
  let hits = 0;
  for (const i of test) {
    let best = 0, bestD = Infinity;
    for (let e = 0; e < nEnv; e++) {
      let d = 0;
      for (let h = 0; h < H; h++) d += (x[i * H + h]! - mean[e * H + h]!) ** 2 / (variance[h]! + floor);
      if (d < bestD) [best, bestD] = [e, d];
    }
    hits += +(best === labels[i]);
  }
  return hits / test.length;
}

function refSelectivity(x: ArrayLike<number>, labels: ArrayLike<number>, M: number, H: number, kind: "index" | "dprime", nEnv: number): Float64Array {
  const mean = new Float64Array(nEnv * H), sq = new Float64Array(nEnv * H), count = new Float64Array(nEnv);
  for (let i = 0; i < M; i++) {
    const e = labels[i]!;
    count[e]!++;
    for (let h = 0; h < H; h++) {
      const v = x[i * H + h]!;
      mean[e * H + h]! += v;
      sq[e * H + h]! += v * v;
    }
  }
  for (let e = 0; e < nEnv; e++) {
    if (count[e] === 0) throw new RangeError(`selectivity: expected samples of every env in [0, ${nEnv}), got none of env ${e}`);
    for (let h = 0; h < H; h++) {
      mean[e * H + h]! /= count[e]!;
      sq[e * H + h] = Math.max(0, sq[e * H + h]! / count[e]! - mean[e * H + h]! ** 2);
    }
  }
  const variance = sq;
  return Float64Array.from({ length: H }, (_, h) => {
    let top = 0;
    for (let e = 1; e < nEnv; e++) if (mean[e * H + h]! > mean[top * H + h]!) top = e;
    let rest = 0, restVar = 0;
    for (let e = 0; e < nEnv; e++) {
      if (e === top) continue;
      rest += mean[e * H + h]! / (nEnv - 1);
      restVar += variance[e * H + h]! / (nEnv - 1);
    }
    const gap = mean[top * H + h]! - rest;
    const denom = kind === "index" ? mean[top * H + h]! + rest : Math.sqrt((variance[top * H + h]! + restVar) / 2);
    if (gap <= 0) return 0;
    if (denom > 0) return gap / denom;
    return kind === "index" ? NaN : Infinity;
  });
}

function refSelectiveFraction(selectivity: ArrayLike<number>, threshold: number): number {
  let k = 0;
  for (let h = 0; h < selectivity.length; h++) if (selectivity[h]! > threshold) k++;
  return k / selectivity.length;
}

function refTopUnits(scores: ArrayLike<number>, frac: number): Set<number> {
  const order = Array.from({ length: scores.length }, (_, h) => h).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return new Set(order.slice(0, Math.max(1, Math.ceil(frac * scores.length))));
}

function refMaskOverlap(scores: ArrayLike<number>, E: number, H: number, frac = 0.1): number {
  const masks = Array.from({ length: E }, (_, e) => refTopUnits(Array.prototype.slice.call(scores, e * H, (e + 1) * H) as number[], frac));
  let sum = 0, pairs = 0;
  for (let a = 0; a < E; a++) {
    for (let b = a + 1; b < E; b++) {
      const inter = [...masks[a]!].filter((h) => masks[b]!.has(h)).length;
      sum += inter / (masks[a]!.size + masks[b]!.size - inter);
      pairs++;
    }
  }
  return pairs ? sum / pairs : NaN;
}

function refAttribution(r: Float32Array, headNorm: Float32Array, E: number, n: number, H: number): Float64Array {
  const a = new Float64Array(E * H);
  for (let e = 0; e < E; e++)
    for (let i = 0; i < n; i++)
      for (let h = 0; h < H; h++) a[e * H + h]! += (Math.abs(r[(e * n + i) * H + h]!) * headNorm[h]!) / n;
  return a;
}

function refRouting(hidden: Float32Array[], norm: Float32Array | undefined, S: number, E: number, mechN: number, widths: number[]): Record<string, Float64Array> {
  const M = E * mechN, labels = Int32Array.from({ length: M }, (_, m) => Math.floor(m / mechN)), out: Record<string, Float64Array> = {};
  widths.forEach((H, l) => {
    const dec = new Float64Array(S);
    for (let s = 0; s < S; s++) dec[s] = E > 1 ? refLda(hidden[l]!.subarray(s * M * H, (s + 1) * M * H), labels, M, H, E) : NaN;
    out[`route/decode:L${l + 1}`] = dec;
  });
  const H = widths[widths.length - 1]!, rep = hidden[widths.length - 1]!;
  const sel = new Float64Array(S), overlap = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    const r = rep.subarray(s * M * H, (s + 1) * M * H);
    if (E > 1) {
      const u = refSelectivity(r, labels, M, H, "index", E).map((v) => (Number.isNaN(v) ? 0 : v));
      sel[s] = refSelectiveFraction(u, 0.5);
      overlap[s] = norm ? refMaskOverlap(refAttribution(r, norm.subarray(s * H, (s + 1) * H), E, mechN, H), E, H, 0.1) : NaN;
    } else [sel[s], overlap[s]] = [NaN, NaN];
  }
  out["route/selective"] = sel;
  out["route/maskOverlap"] = overlap;
  return out;
}
// ---- end of reference ----

/** Activations like a ReLU layer's: a share of exact zeros, some units dead, some env-dependent, a few ties. */
function activations(rng: Rng, S: number, E: number, n: number, H: number, opts: { negative?: boolean; nan?: boolean } = {}): Float32Array {
  const x = new Float32Array(S * E * n * H);
  for (let s = 0; s < S; s++)
    for (let e = 0; e < E; e++)
      for (let i = 0; i < n; i++)
        for (let h = 0; h < H; h++) {
          if (h % 7 === 3) continue; // dead unit
          const v = rng.normal() + (h % E === e ? 1.5 : 0) + (h % 5 === 0 ? 2 : 0);
          x[((s * E + e) * n + i) * H + h] = h % 11 === 2 ? 0.5 : opts.negative ? v : Math.max(0, v); // 0.5: a constant unit
        }
  if (opts.nan) x[5] = NaN;
  return x;
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

const cases = [
  { S: 3, E: 2, n: 64, widths: [128, 128], name: "the quickstart shape (2 cues × 64 probes, 128 units)" },
  { S: 2, E: 3, n: 9, widths: [17, 6], name: "3 cues, odd sizes" },
  { S: 2, E: 4, n: 5, widths: [33], name: "4 cues, one layer" },
  { S: 2, E: 1, n: 8, widths: [12, 10], name: "one cue (NaN)" },
];

describe("routing is bit-identical to the reference code", () => {
  for (const c of cases)
    for (const variant of [{}, { negative: true }, { nan: true }, { noNorm: true }] as const) {
      it(`${c.name} ${JSON.stringify(variant)}`, () => {
        const rng = new Rng(c.S * 100 + c.E * 10 + c.n, 5);
        const hidden = c.widths.map((H) => activations(rng, c.S, c.E, c.n, H, variant));
        const last = c.widths[c.widths.length - 1]!;
        const norm = "noNorm" in variant ? undefined : Float32Array.from({ length: c.S * last }, (_, i) => (i % 9 === 4 ? 0 : Math.abs(rng.normal())));
        if (norm && !("noNorm" in variant)) norm[3] = norm[4]!; // a tie in the attribution scores' ingredients
        const plan = { world: { trained: c.E }, model: { hidden: c.widths } } as unknown as RunPlan;
        const seeds = Array.from({ length: c.S }, (_, s) => s);
        const got = routing.create(plan, seeds).measure({ counterfactual: () => ({ probs: new Float32Array(0), hidden, mechN: c.n }), readoutNorm: () => norm } as never);
        const want = refRouting(hidden, norm, c.S, c.E, c.n, c.widths);
        assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
        for (const k of Object.keys(want)) same(got[k] as Float64Array, want[k]!, k);
      });
    }
});

describe("the routing functions are bit-identical to the reference code", () => {
  const rng = new Rng(7, 1);
  it("ldaDecodability on random features and labels (any label order), Float32 and Float64 input", () => {
    for (let t = 0; t < 40; t++) {
      const M = 4 + (t % 13) * 3, H = 1 + ((t * 7) % 20), E = 2 + (t % 3);
      const labels = Int32Array.from({ length: M }, (_, i) => (i < E ? i : Math.floor(rng.uniform() * E)));
      const x64 = Float64Array.from({ length: M * H }, (_, i) => (i % 4 === 0 ? 0 : rng.normal() + labels[Math.floor(i / H)]! * 0.3));
      for (const x of [x64, Float32Array.from(x64)]) assert.ok(Object.is(ldaDecodability(x, labels, M, H, E), refLda(x, labels, M, H, E)), `case ${t}`);
    }
  });
  it("ldaDecodability (in the Wasm kernel) on exact ties, NaN, ±Infinity, constant units, envs with no rows and empty halves", () => {
    for (let t = 0; t < 200; t++) {
      const M = 2 + (t % 17) * 5, H = 1 + ((t * 5) % 23), E = 2 + (t % 4), used = t % 3 === 0 ? E - 1 : E; // env E − 1 empty on every 3rd case
      const labels = Int32Array.from({ length: M }, (_, i) => (i < used ? i : Math.floor(rng.uniform() * used)));
      // features on a coarse grid (many exactly tied distances, which sum order and rounding decide), a constant unit, specials
      const x = Float64Array.from({ length: M * H }, (_, i) => (i % H === 0 ? 0.25 : Math.round(rng.normal() * 2) / 4 + (labels[Math.floor(i / H)]! % 2) * 0.5));
      if (t % 5 === 1) x[(t * 3) % x.length] = NaN;
      if (t % 5 === 2) x[(t * 7) % x.length] = Infinity;
      if (t % 5 === 3) [x[0], x[x.length - 1]] = [-Infinity, 1e300];
      if (t % 5 === 4) x[(t * 11) % x.length] = -0;
      for (const xs of [x, Float32Array.from(x)]) {
        const got = ldaDecodability(xs, labels, M, H, E), want = refLda(xs, labels, M, H, E);
        assert.ok(Object.is(got, want), `case ${t}: ${got} vs ${want}`);
      }
    }
    // the quickstart's shape, every row a tie between the two envs: the lower env wins
    const M = 128, H = 128, labels = Int32Array.from({ length: M }, (_, i) => (i < 64 ? 0 : 1));
    const x = Float32Array.from({ length: M * H }, (_, i) => (Math.floor(i / H) % 2 ? 1 : -1) * (i % H === 0 ? 1 : 0));
    assert.equal(ldaDecodability(x, labels, M, H, 2), refLda(x, labels, M, H, 2));
    assert.equal(ldaDecodability(x, labels, M, H, 2), 0.5); // means both 0: every distance ties, env 0 wins
    // one row per env: no test row, 0/0
    assert.ok(Number.isNaN(ldaDecodability([1, 2], [0, 1], 2, 1, 2)) && Number.isNaN(refLda([1, 2], [0, 1], 2, 1, 2)));
  });
  it("unitSelectivity (index and d') and selectiveFraction", () => {
    for (let t = 0; t < 30; t++) {
      const M = 6 + t, H = 1 + ((t * 5) % 17), E = 2 + (t % 3);
      const labels = Int32Array.from({ length: M }, (_, i) => i % E);
      const x = Float32Array.from({ length: M * H }, (_, i) => (i % 3 === 0 ? 0 : t % 2 ? rng.normal() : Math.abs(rng.normal())));
      for (const kind of ["index", "dprime"] as const) {
        const got = unitSelectivity(x, labels, M, H, kind, E);
        same(got, refSelectivity(x, labels, M, H, kind, E), `${kind} case ${t}`);
        assert.ok(Object.is(selectiveFraction(got, 0.3), refSelectiveFraction(got, 0.3)));
      }
    }
  });
  it("unitSelectivity (in the Wasm kernel) with labels in any order, tied means, NaN, ±Infinity, −0 and wide scales", () => {
    for (let t = 0; t < 120; t++) {
      const M = 4 + ((t * 7) % 90), H = 1 + ((t * 11) % 40), E = 2 + (t % 4), scale = 10 ** ((t % 7) - 3);
      const labels = Int32Array.from({ length: M }, (_, i) => (i < E ? i : Math.floor(rng.uniform() * E)));
      const x = Float64Array.from({ length: M * H }, (_, i) => {
        const h = i % H;
        if (h % 6 === 1) return 0.5; // a constant unit: every env's mean ties
        if (h % 6 === 4) return Math.round(rng.normal() * 2) / 4; // coarse grid: tied means now and then
        return (t % 2 ? rng.normal() : Math.abs(rng.normal())) * scale;
      });
      if (t % 5 === 1) x[(t * 3) % x.length] = NaN;
      if (t % 5 === 2) x[(t * 7) % x.length] = Infinity;
      if (t % 5 === 3) [x[0], x[x.length - 1]] = [-Infinity, -0];
      for (const xs of [x, Float32Array.from(x)])
        for (const kind of ["index", "dprime"] as const) same(unitSelectivity(xs, labels, M, H, kind, E), refSelectivity(xs, labels, M, H, kind, E), `${kind} case ${t}`);
    }
    assert.throws(() => unitSelectivity([1, 2, 3], [0, 2, 0], 3, 1, "index", 4), /got none of env 1/);
  });
  it("maskOverlap and topUnits, with ties and NaN scores", () => {
    for (let t = 0; t < 200; t++) {
      const E = 2 + (t % 3), H = 3 + ((t * 11) % 140), frac = [0.1, 0.25, 0.5, 1, 0.3][t % 7 % 5]!;
      const scores = Float64Array.from({ length: E * H }, () => Math.round(rng.uniform() * 6) / 2);
      if (t % 5 === 1) scores[2] = NaN;
      if (t % 5 === 2) [scores[0], scores[1], scores[H - 1]] = [Infinity, Infinity, -0];
      if (t % 5 === 3) [scores[3], scores[H + 1]] = [-Infinity, NaN];
      assert.ok(Object.is(maskOverlap(scores, E, H, frac), refMaskOverlap(scores, E, H, frac)), `case ${t}`);
      assert.deepEqual([...topUnits(scores.subarray(0, H), frac)], [...refTopUnits(scores.subarray(0, H), frac)]);
    }
    assert.ok(Number.isNaN(maskOverlap([3, 1, 2], 1, 3, 0.5)) && Number.isNaN(refMaskOverlap([3, 1, 2], 1, 3, 0.5))); // one env: no pair
  });
});
