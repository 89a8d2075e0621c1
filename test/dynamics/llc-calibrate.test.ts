// The γ sweep: on a regular model λ̂(γ) = Σ ½ nβh/(nβh + γ) rises to d/2 as γ falls, so the sweep
// must stop on that plateau; where the chains fail, it must stop there and say so.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { calibrateLlc } from "../../src/dynamics/index.ts";
import { Rng } from "../../src/util/rng.ts";

before(async () => {
  await init("wasm");
});

const n = 1000;

describe("calibrateLlc", () => {
  it("finds the plateau of a regression's λ̂(γ) and lands on d/2", (t) => {
    const d = 4;
    const rng = new Rng(5, d);
    const X = Float32Array.from({ length: n * d }, () => rng.normal()); // [n, d]
    const Y = Float32Array.from({ length: n }, (_, i) => X[i * d]! + rng.normal()); // [n]
    const batch = { x: np.array(X, { shape: [n, d] }), y: np.array(Y) };
    const loss = (p: { w: np.Array }, b: typeof batch) => np.square(np.matmul(b.x, p.w).sub(b.y)).mean().mul(0.5);
    const w = { w: np.linalg.lstsq(batch.x.ref, batch.y.ref.reshape([n, 1])).reshape([d]) };
    const c = calibrateLlc(loss, w, batch, { n, chains: 8, draws: 300 });
    t.diagnostic(`${c.note}: ${c.sweep.map((p) => `γ ${p.gamma} → ${p.llc.toFixed(2)} ± ${p.llcSe.toFixed(2)}`).join(", ")}`);
    assert.ok(c.stable && c.result.reliable, c.note);
    assert.ok(Math.abs(c.result.llc - d / 2) < 0.1 * (d / 2), `${c.result.llc}`);
    assert.ok(c.sweep[0]!.llc < 0.7 * (d / 2), "at γ = 100 the prior still sets it");
    assert.ok(c.sweep.length < 6, "stops at the plateau instead of sweeping on");
    tree.dispose([batch, w]);
  });

  it("stops where the chains fail, flags the result, and says why", () => {
    const shifted = (p: { w: np.Array }, _: object) => np.square(p.w.sub(1)).sum(); // w* = 0 is no minimum
    const c = calibrateLlc(shifted, { w: np.zeros([1]) }, {}, { n, chains: 4, draws: 100 });
    assert.equal(c.sweep.length, 1);
    assert.ok(!c.stable && !c.result.reliable);
    assert.equal(c.note, "the chains fail at the strongest localisation, γ 100");
    assert.match(c.result.warnings.at(-1)!, /^calibration: the chains fail at the strongest localisation/);
  });
});
