// The one statistics helper: known answers, and the same bits as the left-to-right sums it replaced.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { finite, mean, sd, sum } from "../../src/util/stats.ts";
import { Rng } from "../../src/util/rng.ts";

describe("stats", () => {
  it("known answers: mean 2.5 and sample sd √(5/3) of 1..4; one value has sd 0; none is NaN", () => {
    assert.equal(sum([1, 2, 3, 4]), 10);
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    assert.equal(sd([1, 2, 3, 4]), Math.sqrt(5 / 3));
    assert.equal(sd(Float64Array.of(7)), 0);
    assert.ok(Number.isNaN(mean([])) && Number.isNaN(sd([])));
    assert.deepEqual(finite([1, NaN, null, Infinity, -2]), [1, -2]);
  });

  it("sums in index order from 0, bit for bit as reduce((a, b) => a + b, 0)", () => {
    const rng = new Rng(3);
    const xs = Array.from({ length: 1001 }, () => (rng.uniform() - 0.5) * 10 ** Math.floor(rng.uniform() * 12));
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.equal(mean(xs), m);
    assert.equal(mean(Float32Array.from(xs)), Array.from(Float32Array.from(xs)).reduce((a, b) => a + b, 0) / xs.length);
    assert.equal(sd(xs), Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / (xs.length - 1)));
  });
});
