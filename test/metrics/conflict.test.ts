import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { conflictMatrix, gradientCosine, meanPairwiseCosine, meanPairwiseSegmentedCosine, segmentedCosine } from "../../src/metrics/conflict.ts";
import { close, randn } from "./_fixtures.ts";

const g = randn(1, 1, 1000);

describe("gradientCosine", () => {
  const cases: [string, ArrayLike<number>, ArrayLike<number>, number][] = [
    ["g and -g", g, g.map((v) => -v), -1],
    ["g and g", g, g, 1],
    ["g and 2.5 g", g, g.map((v) => 2.5 * v), 1],
    ["orthogonal axes", [1, 0, 0], [0, 3, 0], 0],
    ["(1, 0) and (1, 1), by hand", [1, 0], [1, 1], Math.SQRT1_2],
    ["float32 input", Float32Array.from([1, 2]), Float32Array.from([-2, 1]), 0],
  ];
  for (const [name, a, b, want] of cases) it(`${name} → ${want.toFixed(4)}`, () => close(gradientCosine(a, b), want, 1e-12));

  it("is NaN for a zero gradient and throws on mismatched lengths", () => {
    assert.ok(Number.isNaN(gradientCosine([0, 0], [1, 2])));
    assert.throws(() => gradientCosine([1], [1, 2]), /expected equal lengths, got 1 and 2/);
  });
});

describe("conflictMatrix", () => {
  const h = [0, 0, 1];
  const grads = [[1, 2, 0], [-1, -2, 0], h];

  it("is symmetric with a unit diagonal", () => {
    assert.deepEqual(conflictMatrix(grads), [
      [1, -1, 0],
      [-1, 1, 0],
      [0, 0, 1],
    ]);
  });

  it("meanPairwiseCosine averages the E(E-1)/2 pairs: (-1 + 0 + 0) / 3", () => {
    close(meanPairwiseCosine(grads), -1 / 3, 1e-12);
    assert.ok(Number.isNaN(meanPairwiseCosine([h])));
  });
});

test("segmented cosines are those of the concatenated vectors, bit for bit", () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const sizes = [5, 0, 129, 3, 64];
  for (let trial = 0; trial < 20; trial++) {
    const envs = Array.from({ length: 3 }, (_, e) => sizes.map((n) => Float32Array.from({ length: n }, () => (trial === 3 && e === 1 ? 0 : rnd() * 10 ** Math.floor(rnd() * 6)))));
    const whole = envs.map((segs) => { const v = new Float32Array(segs.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of segs) { v.set(p, o); o += p.length; } return v; });
    assert.ok(Object.is(segmentedCosine(envs[0]!, envs[2]!), gradientCosine(whole[0]!, whole[2]!)));
    assert.ok(Object.is(meanPairwiseSegmentedCosine(envs), meanPairwiseCosine(whole)), `trial ${trial}`);
  }
  assert.ok(Number.isNaN(segmentedCosine([new Float32Array(3)], [Float32Array.of(1, 2, 3)])), "a zero gradient has no direction");
  assert.throws(() => segmentedCosine([new Float32Array(3)], [new Float32Array(4)]), /equal lengths/);
});
