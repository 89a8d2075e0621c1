import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { filterNormalizedDirection, slice1d, slice2d } from "../../src/dynamics/index.ts";
import { matvec, qParams, quadratic, symmetric, toBatch } from "./_fixtures.ts";

before(async () => {
  await init("wasm");
});

const rowNorms = (x: ArrayLike<number>, rows: number, cols: number) =>
  Array.from({ length: rows }, (_, r) => Math.hypot(...Array.from({ length: cols }, (_, c) => x[r * cols + c]!)));

describe("filterNormalizedDirection", () => {
  const params = () => ({
    W: np.array([[1, 2, 3, 4], [0.1, 0, 0, 0], [-5, 1, 0, 2]]), // [3, 4]: three filters
    b: np.array([0.5, -1, 2]), // [3]
  });

  it("rescales every leading-axis row to the norm of the same row of w and zeroes biases", () => {
    const p = params();
    const d = filterNormalizedDirection(p, { seed: 4 });
    const want = rowNorms(p.W.ref.dataSync(), 3, 4);
    rowNorms(d.W.dataSync(), 3, 4).forEach((n, r) => assert.ok(Math.abs(n - want[r]!) < 1e-5 * want[r]!));
    assert.deepEqual([...d.b.dataSync()], [0, 0, 0]);
    tree.dispose(p);
  });

  it("norm-matches biases as one filter with bias: 'norm', and filters columns with filterAxis: 1", () => {
    const p = params();
    const d = filterNormalizedDirection(p, { seed: 4, bias: "norm", filterAxis: 1 });
    const t = (x: ArrayLike<number>) => Array.from({ length: 12 }, (_, i) => x[(i % 3) * 4 + Math.floor(i / 3)]!);
    const want = rowNorms(t(p.W.ref.dataSync()), 4, 3);
    rowNorms(t(d.W.dataSync()), 4, 3).forEach((n, c) => assert.ok(Math.abs(n - want[c]!) < 1e-5 * want[c]!));
    assert.ok(Math.abs(Math.hypot(...d.b.dataSync()) - Math.hypot(0.5, 1, 2)) < 1e-5);
    tree.dispose(p);
  });

  it("rejects an unknown bias mode", () => {
    assert.throws(
      () => filterNormalizedDirection(params(), { bias: "keep" as "zero" }),
      /expected bias: "zero" or "norm", got "keep"$/,
    );
  });
});

describe("slices of a quadratic", () => {
  const A = symmetric([4, 2, 1, 0.5, 0.25], 11);
  const W = [1, -0.5, 0.25, 2, -1];
  // L(w + αd + βe) = ½ (w + αd + βe)ᵀ A (w + αd + βe)
  const analytic = (d: number[], e: number[], a: number, b: number) => {
    const x = W.map((w, i) => w + a * d[i]! + b * e[i]!);
    return 0.5 * matvec(A, x).reduce((s, y, i) => s + y * x[i]!, 0);
  };
  const flat = (seed: number) => {
    const d = filterNormalizedDirection(qParams(W), { seed, bias: "norm" });
    return [...d.a.dataSync(), ...d.b.dataSync()];
  };

  it("1-D slice matches the analytic parabola", () => {
    const p = qParams(W);
    const r = slice1d(quadratic, p, toBatch(A, 5), { range: [-2, 2], steps: 9, seed: 5, bias: "norm" });
    const d = flat(5);
    assert.deepEqual(r.alphas, [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2]);
    r.losses.forEach((l, i) => {
      const want = analytic(d, [0, 0, 0, 0, 0], r.alphas[i]!, 0);
      assert.ok(Math.abs(l - want) < 1e-4 * Math.max(1, want), `α=${r.alphas[i]}: ${l} vs ${want}`);
    });
    assert.equal(p.a.refCount, 1, "borrows params");
  });

  it("2-D slice matches the analytic paraboloid on the whole grid", () => {
    const r = slice2d(quadratic, qParams(W), toBatch(A, 5), { range: [-1, 1], steps: 5, seed: 8, bias: "norm" });
    const [d, e] = [flat(8), flat(9)];
    assert.equal(r.losses.length, 5);
    r.losses.forEach((row, i) =>
      row.forEach((l, j) => {
        const want = analytic(d, e, r.alphas[i]!, r.betas[j]!);
        assert.ok(Math.abs(l - want) < 1e-4 * Math.max(1, want), `(${i}, ${j}): ${l} vs ${want}`);
      }),
    );
  });
});
