import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conflictMatrix, gradientCosine, meanPairwiseCosine } from "../../src/metrics/conflict.ts";
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
