// Weight dropout against answers known by construction: no drop is the clean loss; a loss linear
// in the weights keeps its expectation under inverted dropout; without rescaling it shrinks by 1 − p.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { weightDropoutCurve } from "../../src/dynamics/dropout.ts";

before(async () => {
  await init("wasm");
});

type P = { w: np.Array; b: np.Array }; // w [d, 1], b [1]
const D = 400;
const params = (): P => ({ w: np.array(Float32Array.from({ length: D }, (_, i) => 1 + (i % 3)), { shape: [D, 1] }), b: np.array([5]) });
const linear = (p: P, _: object) => p.w.sum().add(p.b.sum()); // Σw + b: linear in the weights
const none = {};

describe("weightDropoutCurve", () => {
  it("p = 0 gives the clean value with no spread; biases are kept by default", () => {
    const p = params();
    const r = weightDropoutCurve(linear, p, none, { rates: [0], draws: 3 });
    assert.equal(r.metrics.loss!.mean[0], 799 + 5); // Σ_i (1 + i mod 3) over 400 weights = 799
    assert.equal(r.metrics.loss!.std[0], 0);
    assert.equal(p.w.refCount, 1, "borrows params");
    tree.dispose(p);
  });

  it("inverted dropout keeps the expectation of a linear function; plain dropout scales it by 1 − p", (t) => {
    const p = params();
    const draws = 64;
    const inv = weightDropoutCurve(linear, p, none, { rates: [0.1, 0.3], draws, seed: 1 });
    const raw = weightDropoutCurve(linear, p, none, { rates: [0.1, 0.3], draws, seed: 1, rescale: false });
    t.diagnostic(`inverted ${inv.metrics.loss!.mean.map((x) => x.toFixed(1))}, plain ${raw.metrics.loss!.mean.map((x) => x.toFixed(1))}`);
    [0.1, 0.3].forEach((rate, i) => {
      // Var of Σ w m/(1−p) = Σ w² p/(1−p); the mean of `draws` draws is within 4 standard errors
      const se = Math.sqrt((1863 * rate) / (1 - rate) / draws); // Σw² = 1863
      assert.ok(Math.abs(inv.metrics.loss!.mean[i]! - 804) < 4 * se, `p=${rate}: ${inv.metrics.loss!.mean[i]}`);
      const want = 799 * (1 - rate) + 5;
      assert.ok(Math.abs(raw.metrics.loss!.mean[i]! - want) < 4 * se, `p=${rate} plain: ${raw.metrics.loss!.mean[i]} vs ${want}`);
    });
    tree.dispose(p);
  });

  it("uses common random numbers: a larger rate drops a superset, so plain dropout is monotone per draw", () => {
    const p = params();
    const r = weightDropoutCurve(linear, p, none, { rates: [0.1, 0.2, 0.4], draws: 1, rescale: false });
    const m = r.metrics.loss!.mean;
    assert.ok(m[0]! > m[1]! && m[1]! > m[2]!, `${m}`);
    tree.dispose(p);
  });

  it("rejects a rate of 1 or more", () => {
    const p = params();
    assert.throws(() => weightDropoutCurve(linear, p, none, { rates: [1] }), /expected rates: probabilities in \[0, 1\), got \[1\]$/);
    tree.dispose(p);
  });
});
