import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { type Model, classifierMetrics, weightNoiseCurve } from "../../src/dynamics/index.ts";
import { qParams, quadratic, symmetric, toBatch } from "./_fixtures.ts";

before(async () => {
  await init("wasm");
});

describe("weightNoiseCurve", () => {
  it("matches E[L(w + δ)] = L(w) + ½ Σ_leaf σ² rms² tr(A_leaf) on a quadratic", (t) => {
    const A = symmetric([3, 2, 1, 1, 0.5], 3);
    const W = [1, -1, 0.5, 2, -0.5];
    const p = qParams(W);
    const r = weightNoiseCurve(quadratic, p, toBatch(A, 5), { sigmas: [0, 0.2, 0.5], draws: 400, seed: 1 });
    const L0 = 0.5 * W.reduce((s, wi, i) => s + wi * W.reduce((u, wj, j) => u + A[i * 5 + j]! * wj, 0), 0);
    const rms2 = [(1 + 1) / 2, (0.25 + 4 + 0.25) / 3]; // leaves a = w[0:2], b = w[2:5]
    const trA = [A[0]! + A[6]!, A[12]! + A[18]! + A[24]!];
    const { mean, std } = r.metrics.loss!;
    assert.ok(Math.abs(mean[0]! - L0) < 1e-5 && std[0] === 0, "σ = 0 is the clean loss, exactly");
    [0.2, 0.5].forEach((sigma, k) => {
      const want = L0 + 0.5 * sigma ** 2 * (rms2[0]! * trA[0]! + rms2[1]! * trA[1]!);
      const se = std[k + 1]! / Math.sqrt(400);
      t.diagnostic(`σ=${sigma}: ${mean[k + 1]!.toFixed(4)} ± ${se.toFixed(4)} vs analytic ${want.toFixed(4)}`);
      assert.ok(Math.abs(mean[k + 1]! - want) < 3 * se, `σ=${sigma}: ${mean[k + 1]} vs ${want} (se ${se})`);
    });
    assert.equal(p.a.refCount, 1, "borrows params");
  });

  it("degrades a separable linear classifier's accuracy and loss as σ grows", () => {
    type P = { W: np.Array; b: np.Array };
    const f: Model<P> = (p, x) => np.matmul(x, p.W).add(p.b); // [n, 2] @ [2, 2] + [2]
    const xs = [[1, 0.2], [2, -0.3], [0.5, 1], [-1, 0.1], [-2, 0.4], [-0.5, -1]];
    const batch = { x: np.array(xs), y: np.array([0, 0, 0, 1, 1, 1], { dtype: np.int32 }) };
    const params = { W: np.array([[3, -3], [0, 0.1]]), b: np.array([0.05, -0.05]) };
    const r = weightNoiseCurve(classifierMetrics(f), params, batch, { sigmas: [0, 0.3, 3], draws: 16, seed: 2 });
    const acc = r.metrics.acc!.mean;
    const loss = r.metrics.loss!.mean;
    assert.equal(acc[0], 1);
    assert.ok(acc[2]! < 0.85, `accuracy at σ=3: ${acc[2]}`);
    assert.ok(loss[0]! < loss[1]! && loss[1]! < loss[2]!, `loss ${loss}`);
    tree.dispose([params, batch]);
  });

  it("rejects negative σ", () => {
    assert.throws(
      () => weightNoiseCurve(quadratic, qParams([1, 1, 1]), toBatch(symmetric([1, 1, 1], 1), 3), { sigmas: [-1] }),
      /expected sigmas: non-negative numbers, got \[-1\]$/,
    );
  });
});
