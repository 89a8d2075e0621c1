// Tests src/util/rng.ts (kept here with the env family, its main consumer; move to test/util/ if that folder appears).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashSeed, Rng, STREAM } from "../../src/util/rng.ts";

const draws = (rng: Rng, n: number, f: (r: Rng) => number) => Array.from({ length: n }, () => f(rng));
function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, variance: xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length };
}

describe("hashSeed", () => {
  it("is a pure function of its words, giving 32-bit unsigned ints", () => {
    assert.equal(hashSeed(1, 2, 3), hashSeed(1, 2, 3));
    for (const h of [hashSeed(), hashSeed(0), hashSeed(-1), hashSeed(2 ** 32 - 1, 5)]) assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32);
  });

  it("depends on the order and the number of words", () => {
    const hs = [hashSeed(1, 2), hashSeed(2, 1), hashSeed(1), hashSeed(1, 2, 0), hashSeed(0, 1, 2)];
    assert.equal(new Set(hs).size, hs.length);
  });
});

describe("Rng", () => {
  it("gives the same stream for the same words", () => {
    const a = new Rng(4, STREAM.data, 17), b = new Rng(4, STREAM.data, 17);
    assert.deepEqual(draws(a, 200, (r) => r.nextU32()), draws(b, 200, (r) => r.nextU32()));
  });

  const pairs: [string, number[], number[]][] = [
    ["another seed", [4, STREAM.data], [5, STREAM.data]],
    ["another stream", [4, STREAM.data], [4, STREAM.init]],
    ["swapped words", [1, 2], [2, 1]],
    ["an extra counter", [4, STREAM.schedule], [4, STREAM.schedule, 0]],
  ];
  for (const [what, x, y] of pairs) {
    it(`gives a different stream for ${what}`, () => {
      const a = draws(new Rng(...x), 50, (r) => r.nextU32()), b = draws(new Rng(...y), 50, (r) => r.nextU32());
      assert.ok(a.filter((v, i) => v === b[i]).length < 2);
    });
  }

  it("draws uniforms in [0, 1) with mean ≈ 1/2 and variance ≈ 1/12", () => {
    const u = draws(new Rng(1), 200_000, (r) => r.uniform());
    assert.ok(u.every((v) => v >= 0 && v < 1));
    const { mean, variance } = moments(u);
    assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
  });

  it("draws ints in [0, n) with roughly equal counts", () => {
    const n = 7, N = 70_000, counts = new Array<number>(n).fill(0);
    const rng = new Rng(2);
    for (let i = 0; i < N; i++) {
      const k = rng.int(n);
      assert.ok(Number.isInteger(k) && k >= 0 && k < n);
      counts[k]!++;
    }
    for (const c of counts) assert.ok(Math.abs(c / N - 1 / n) < 0.01, `counts ${counts.join(", ")}`);
  });

  it("draws normals with mean ≈ 0 and variance ≈ 1", () => {
    const { mean, variance } = moments(draws(new Rng(3), 200_000, (r) => r.normal()));
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  });

  it("draws Gumbels with mean ≈ γ = 0.5772 and variance ≈ π²/6", () => {
    const { mean, variance } = moments(draws(new Rng(4), 200_000, (r) => r.gumbel()));
    assert.ok(Math.abs(mean - 0.5772) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - Math.PI ** 2 / 6) < 0.05, `variance ${variance}`);
  });

  it("fills only the requested range with scaled normals", () => {
    const out = new Float32Array(10).fill(42);
    new Rng(5).fillNormal(out, 3, 2, 4);
    const ref = new Rng(5);
    assert.deepEqual([...out.subarray(0, 2)], [42, 42]);
    assert.deepEqual([...out.subarray(6)], [42, 42, 42, 42]);
    for (let i = 2; i < 6; i++) assert.equal(out[i], Math.fround(ref.normal() * 3));
  });
});
