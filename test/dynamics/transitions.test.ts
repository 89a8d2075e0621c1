// llcTransitions on a trajectory whose LLC is known at every checkpoint: a regular minimum
// (L = w², λ = 1/2) for three checkpoints, then a degenerate one (L ≈ (w − 2)⁴/4, λ = 1/4).
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { llcTransitions } from "../../src/dynamics/transitions.ts";

before(async () => {
  await init("wasm");
});

type W = { w: np.Array };

describe("llcTransitions", () => {
  it("flags the checkpoint where the learning coefficient drops from 1/2 to 1/4, and only that one", (t) => {
    const loss = (p: W, _: object) => np.square(p.w.ref).mul(np.square(np.square(p.w.sub(2)))).sum().div(16);
    const cps = [0, 0, 0, 2, 2, 2].map((c) => ({ w: np.array([c]) }));
    const r = llcTransitions(loss, cps, {}, { n: 1000, gamma: 1, stepSize: 1e-3, chains: 32, draws: 400, burnIn: 200 });
    t.diagnostic(`llc ${r.llc.map((x) => x.toFixed(3)).join(" ")}, σ ${r.sigma.toFixed(4)}`);
    assert.deepEqual(r.changePoints, [3]);
    assert.equal(r.segments.length, 2);
    assert.ok(r.segments[0]!.mean > 0.35 && r.segments[0]!.mean < 0.65, `${r.segments[0]!.mean}`);
    assert.ok(r.segments[1]!.mean > 0.15 && r.segments[1]!.mean < 0.35, `${r.segments[1]!.mean}`);
    assert.equal(r.fractionBelowInit.length, 6);
    r.fractionBelowInit.forEach((f) => assert.equal(f, 0, "both points are exact minima of value 0"));
    tree.dispose(cps);
  });

  it("flags nothing on a flat trajectory", () => {
    const sq = (p: W, _: object) => np.square(p.w).sum();
    const cps = [0, 0, 0, 0].map((c) => ({ w: np.array([c]) }));
    const r = llcTransitions(sq, cps, {}, { n: 1000, gamma: 1, chains: 4, draws: 100, burnIn: 50 });
    assert.deepEqual(r.changePoints, []);
    tree.dispose(cps);
  });
});
