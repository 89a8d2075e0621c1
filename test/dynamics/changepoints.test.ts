import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { changePoints } from "../../src/dynamics/index.ts";
import { Rng } from "../../src/util/rng.ts";

const noise = (n: number, seed: number, sd = 1) => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => sd * rng.normal());
};

describe("changePoints", () => {
  it("finds a planted step of 2 σ to within 5 samples, for 20 seeds", (t) => {
    const found: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const x = noise(200, seed, 0.2).map((v, i) => v + (i >= 120 ? 0.4 : 0));
      const r = changePoints(x, { minSize: 5 });
      assert.equal(r.changePoints.length, 1, `seed ${seed}: ${r.changePoints}`);
      assert.ok(Math.abs(r.changePoints[0]! - 120) <= 5, `seed ${seed}: ${r.changePoints}`);
      found.push(r.changePoints[0]!);
    }
    t.diagnostic(`located at ${found.join(" ")}`);
  });

  it("finds nothing in pure noise, for 20 seeds", () => {
    for (let seed = 100; seed < 120; seed++) {
      const r = changePoints(noise(200, seed), { minSize: 5 });
      assert.deepEqual(r.changePoints, [], `seed ${seed}`);
      assert.ok(Math.abs(r.sigma - 1) < 0.25, `σ̂ = ${r.sigma}`);
    }
  });

  it("recovers several steps with their segment means", () => {
    const x = noise(300, 3, 0.1).map((v, i) => v + (i < 100 ? 0 : i < 180 ? 1 : -0.5));
    const r = changePoints(x);
    assert.deepEqual(r.changePoints, [100, 180]);
    [0, 1, -0.5].forEach((m, k) => assert.ok(Math.abs(r.segments[k]!.mean - m) < 0.05));
  });

  it("agrees with brute force on short series (PELT pruning is exact)", () => {
    for (let seed = 0; seed < 30; seed++) {
      const x = noise(12, seed).map((v, i) => v + (i > 6 ? 1.5 : 0));
      const r = changePoints(x, { minSize: 2, sigma: 1, penalty: 3 });
      const cost = (cps: number[]) => {
        const b = [0, ...cps, 12];
        let c = 3 * cps.length;
        for (let k = 0; k + 1 < b.length; k++) {
          const seg = x.slice(b[k], b[k + 1]);
          const m = seg.reduce((s, v) => s + v, 0) / seg.length;
          c += seg.reduce((s, v) => s + (v - m) ** 2, 0);
        }
        return c;
      };
      let bestCost = Infinity;
      for (let mask = 0; mask < 1 << 11; mask++) {
        const cps = Array.from({ length: 11 }, (_, i) => i + 1).filter((i) => mask & (1 << (i - 1)));
        const b = [0, ...cps, 12];
        if (b.some((v, k) => k > 0 && v - b[k - 1]! < 2)) continue;
        bestCost = Math.min(bestCost, cost(cps));
      }
      assert.ok(Math.abs(cost(r.changePoints) - bestCost) < 1e-9, `seed ${seed}`);
    }
  });

  it("rejects bad options and non-finite values", () => {
    assert.throws(() => changePoints([1, 2, 3], { minSize: 0 }), /expected minSize: an integer ≥ 1, got 0$/);
    assert.throws(() => changePoints([1, NaN]), /expected finite values, got NaN at index 1$/);
  });
});
