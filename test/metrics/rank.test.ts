import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { symmetricEigenvalues } from "../../src/metrics/_linalg.ts";
import { effectiveRank, participationRatio, singularValues } from "../../src/metrics/rank.ts";
import { close, matmul, randn, randomOrthogonal } from "./_fixtures.ts";

/** `[M][H]` matrix with the given singular values: U diag(σ) Vᵀ with random orthogonal U, V. */
function withSpectrum(sigma: number[], M: number, H: number, seed = 1): Float64Array {
  const d = new Float64Array(M * H);
  sigma.forEach((s, i) => (d[i * H + i] = s));
  return matmul(matmul(randomOrthogonal(seed, M), d, M, M, H), randomOrthogonal(seed + 1, H), M, H, H);
}

describe("effectiveRank", () => {
  // diag(3, 1): p = (.75, .25), H = -.75 ln .75 - .25 ln .25 = 0.5623351 → exp = 1.7547654
  const cases: [string, Float64Array, number, number, number][] = [
    ["rank-1 outer product", matmul(randn(1, 30, 1), randn(2, 1, 10), 30, 1, 10), 30, 10, 1],
    ["orthonormal 16×16", randomOrthogonal(3, 16), 16, 16, 16],
    ["identity 5×5", Float64Array.from({ length: 25 }, (_, i) => +(i % 6 === 0)), 5, 5, 5],
    ["two equal singular values in 20×8", withSpectrum([2, 2], 20, 8), 20, 8, 2],
    ["singular values (3, 1), by hand", withSpectrum([3, 1], 6, 4), 6, 4, 1.7547654],
    ["wide: 3 orthonormal rows of a 12×12 (M < H)", randomOrthogonal(4, 12).subarray(0, 36), 3, 12, 3],
    ["zero matrix", new Float64Array(12), 3, 4, 0],
  ];
  for (const [name, x, M, H, want] of cases) it(`${name} → ${want}`, () => close(effectiveRank(x, M, H), want, 1e-6));

  it("is invariant to scaling and bounded by min(M, H)", () => {
    const x = randn(5, 40, 10);
    close(effectiveRank(x.map((v) => 1e-3 * v), 40, 10), effectiveRank(x, 40, 10), 1e-9);
    const r = effectiveRank(x, 40, 10);
    assert.ok(r > 1 && r <= 10, `got ${r}`);
  });

  it("handles a dense 300×256 matrix: Σσ² = ‖X‖²_F, in well under a second", () => {
    const x = randn(6, 300, 256);
    const t0 = performance.now();
    const sv = singularValues(x, 300, 256);
    assert.ok(performance.now() - t0 < 3000);
    close(sv.reduce((s, v) => s + v * v, 0), x.reduce((s, v) => s + v * v, 0), 1e-6 * x.length);
  });
});

describe("singular values and the Jacobi eigen-solver", () => {
  it("recovers a known spectrum, sorted descending", () => {
    const sv = singularValues(withSpectrum([1, 5, 3], 7, 5), 7, 5);
    [5, 3, 1, 0, 0].forEach((s, i) => close(sv[i]!, s, 1e-9));
  });

  it("gives the eigenvalues of a hand 3×3: [[2,1,0],[1,2,0],[0,0,5]] → 5, 3, 1", () => {
    const eig = symmetricEigenvalues([2, 1, 0, 1, 2, 0, 0, 0, 5], 3);
    [5, 3, 1].forEach((l, i) => close(eig[i]!, l, 1e-12));
  });

  it("preserves the trace and handles negative eigenvalues", () => {
    const a = randn(7, 10, 10);
    const sym = a.map((_, i) => a[i]! + a[(i % 10) * 10 + Math.floor(i / 10)]!); // A + Aᵀ
    const eig = symmetricEigenvalues(sym, 10);
    let trace = 0;
    for (let i = 0; i < 10; i++) trace += sym[i * 11]!;
    close(eig.reduce((s, l) => s + l, 0), trace, 1e-9);
    assert.ok(eig[9]! < 0);
  });
});

describe("participationRatio", () => {
  const pr = (x: Float64Array, M: number, H: number) => participationRatio(x, M, H);
  it("is 1 for rank-1 data and k for k equal variance directions", () => {
    close(pr(withSpectrum([5], 40, 12), 40, 12), 1, 1e-9);
    // centred data with k equal singular values: covariance spectrum flat on k directions
    const k = 4, M = 64, H = 16;
    const x = new Float64Array(M * H);
    for (let i = 0; i < M; i++) x[i * H + (i % k)] = i % (2 * k) < k ? 1 : -1; // ±1 on k axes, zero mean
    close(pr(x, M, H), k, 1e-9);
  });
  it("matches (Σσ²)²/Σσ⁴ of the centred data, whether M < H (row Gram) or M ≥ H (column Gram)", () => {
    for (const [M, H] of [[10, 30], [40, 12]] as const) {
      const a = randn(9, M, H);
      const c = Float64Array.from(a);
      for (let j = 0; j < H; j++) {
        let mu = 0;
        for (let i = 0; i < M; i++) mu += c[i * H + j]! / M;
        for (let i = 0; i < M; i++) c[i * H + j]! -= mu;
      }
      const s2 = Array.from(singularValues(c, M, H), (v) => v * v);
      const expected = s2.reduce((x, y) => x + y, 0) ** 2 / s2.reduce((x, y) => x + y * y, 0);
      close(pr(a, M, H), expected, 1e-9);
    }
  });
  it("is 0 for a constant matrix", () => assert.equal(pr(new Float64Array(20).fill(3), 5, 4), 0));
});
