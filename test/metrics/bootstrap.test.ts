import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bootstrapCi, quantile, summarise } from "../../src/metrics/bootstrap.ts";
import { close, randn } from "./_fixtures.ts";

describe("summarise", () => {
  const cases: [string, number[], number, number, number][] = [
    // [name, values, mean, sd, n]
    ["empty", [], NaN, NaN, 0],
    ["one value: sd 0", [5], 5, 0, 1],
    ["1..4: sd = √(5/3) with n - 1", [1, 2, 3, 4], 2.5, Math.sqrt(5 / 3), 4],
    ["NaN dropped", [1, NaN, 3], 2, Math.SQRT2, 2],
  ];
  for (const [name, values, mean, sd, n] of cases) {
    it(name, () => {
      const s = summarise(values);
      assert.equal(s.n, n);
      for (const [got, want] of [[s.mean, mean], [s.sd, sd]] as const) {
        if (Number.isNaN(want)) assert.ok(Number.isNaN(got));
        else close(got, want, 1e-12);
      }
    });
  }
});

describe("bootstrapCi", () => {
  const tables: [string, number[]][] = [
    ["small symmetric", [0.1, 0.2, 0.3, 0.4, 0.5]],
    ["skewed", [0, 0, 0, 0, 1, 5]],
    ["two seeds", [0.3, 0.9]],
    ["normal draws", Array.from(randn(1, 1, 20))],
  ];
  for (const [name, values] of tables) {
    it(`contains the mean: ${name}`, () => {
      const ci = bootstrapCi(values, { seed: 3 });
      assert.ok(ci.lo <= ci.mean && ci.mean <= ci.hi, `${ci.lo} <= ${ci.mean} <= ${ci.hi}`);
      assert.ok(ci.lo >= Math.min(...values) && ci.hi <= Math.max(...values));
    });
  }

  it("same seed → same interval; another seed → a slightly different one", () => {
    const v = Array.from(randn(2, 1, 10));
    assert.deepEqual(bootstrapCi(v, { seed: 42 }), bootstrapCi(v, { seed: 42 }));
    assert.notDeepEqual(bootstrapCi(v, { seed: 42 }), bootstrapCi(v, { seed: 43 }));
  });

  it("narrows with more seeds, as 1/√n: width ≈ 2·1.96·sd/√n", () => {
    const width = (n: number) => {
      const ci = bootstrapCi(randn(n, 1, n), { seed: 1 });
      return { w: ci.hi - ci.lo, normal: (2 * 1.96 * ci.sd) / Math.sqrt(ci.n) };
    };
    const few = width(5);
    const many = width(400);
    assert.ok(many.w < few.w / 3, `${many.w} vs ${few.w}`);
    close(many.w, many.normal, 0.15 * many.normal, "normal-theory width:");
  });

  it("drops and counts NaN", () => {
    const ci = bootstrapCi([1, NaN, 2, NaN, 3], { seed: 0 });
    assert.equal(ci.n, 3);
    assert.equal(ci.dropped, 2);
    close(ci.mean, 2);
  });

  it("degenerates gracefully: one value, constant values, none", () => {
    assert.deepEqual(bootstrapCi([0.7]), { mean: 0.7, sd: 0, n: 1, lo: 0.7, hi: 0.7, dropped: 0 });
    const c = bootstrapCi([2, 2, 2]);
    assert.ok(c.lo === 2 && c.hi === 2);
    assert.ok(Number.isNaN(bootstrapCi([NaN]).lo));
  });

  it("throws on a bad level", () => {
    assert.throws(() => bootstrapCi([1, 2], { level: 95 }), /expected level in \(0, 1\), got 95/);
  });
});

describe("quantile", () => {
  const cases: [number[], number, number][] = [
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0, 1],
    [[1, 2, 3, 4], 1, 4],
    [[0, 10], 0.25, 2.5],
  ];
  for (const [xs, q, want] of cases) it(`q${q} of [${xs}] = ${want}`, () => close(quantile(xs, q), want, 1e-12));
});
