import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { centredRowGram, ckaOfRowGrams, ckaUsesRowGrams, linearCka } from "../../src/metrics/cka.ts";
import { close, matmul, randn, randomOrthogonal } from "./_fixtures.ts";

describe("linearCka", () => {
  const M = 200;
  const H = 12;
  const x = randn(1, M, H);

  const transforms: [string, Float64Array][] = [
    ["X itself", x],
    ["an orthogonal transform of X", matmul(x, randomOrthogonal(2, H), M, H, H)],
    ["X scaled by 7.5", x.map((v) => 7.5 * v)],
    ["X shifted by a constant per column", x.map((v, i) => v + (i % H) * 3)],
    ["X rotated into a wider space (H2 = 20)", matmul(x, randomOrthogonal(3, 20).subarray(0, H * 20), M, H, 20)],
  ];
  for (const [name, y] of transforms) {
    it(`is 1 between X and ${name}`, () => close(linearCka(x, y, M, H, y.length / M), 1, 1e-9));
  }

  it("equals the squared Pearson correlation for single columns (r = 0.8 by hand)", () => {
    // centred x = [-1.5,-.5,.5,1.5], y = [-1.5,.5,-.5,1.5]: xᵀy = 4, xᵀx = yᵀy = 5 → r² = 0.64
    close(linearCka([1, 2, 3, 4], [1, 3, 2, 4], 4, 1, 1), 0.64, 1e-12);
  });

  it("is near 0 for independent random matrices of large M", () => {
    const big = 4000;
    const c = linearCka(randn(4, big, 8), randn(5, big, 8), big, 8, 8); // expected ≈ √(H1·H2)/M = 0.002
    assert.ok(c < 0.02, `got ${c}`);
  });

  it("is symmetric and in [0, 1]", () => {
    const y = randn(6, M, 5);
    const a = linearCka(x, y, M, H, 5);
    close(a, linearCka(y, x, M, 5, H), 1e-12);
    assert.ok(a >= 0 && a <= 1);
  });

  it("is NaN for a constant representation, and throws on a wrong shape", () => {
    assert.ok(Number.isNaN(linearCka(x, new Float64Array(M * 3).fill(2), M, H, 3)));
    assert.throws(() => linearCka(x, x, M, H + 1, H), /x: expected length 2600 for \[M=200\]\[H1=13\], got 2400/);
  });
});

describe("ckaOfRowGrams", () => {
  it("gives linearCka's number bit for bit from kept Grams, and 1 for a rotated copy", () => {
    const M = 10, H = 12; // fewer rows than units: linearCka works from the row Grams
    assert.ok(ckaUsesRowGrams(M, H, H) && !ckaUsesRowGrams(200, 12, 12));
    const x = randn(7, M, H), y = randn(8, M, H), gx = centredRowGram(x, M, H);
    assert.equal(ckaOfRowGrams(gx, centredRowGram(y, M, H)), linearCka(x, y, M, H, H));
    close(ckaOfRowGrams(gx, centredRowGram(matmul(x, randomOrthogonal(9, H), M, H, H), M, H)), 1, 1e-9);
    assert.ok(Number.isNaN(ckaOfRowGrams(gx, centredRowGram(new Float64Array(M * H).fill(3), M, H))));
    assert.throws(() => ckaOfRowGrams(gx, centredRowGram(x, 5, 24)), /Grams of 100 and 25 entries/);
  });
});
