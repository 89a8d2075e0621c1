// Spread statistics on outputs constructed by hand, where every number is known.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { js } from "../../src/metrics/divergence.ts";
import { matchedSpread, pairStats, seedSpread, type ProbeLayout } from "../../src/stability/spread.ts";

// 2 models, 2 environments (1 trained, 1 novel), 2 probes each, 2 classes
const L: ProbeLayout = { S: 2, E: 2, T: 1, N: 2, C: 2 };
const labels = Int32Array.from([0, 1, 0, 0]); // [E, N]
const run = (...rows: number[][]) => Float32Array.from(rows.flat()); // rows: [S][E·N] of p(class 0)
const probs = (p0: number[]) => p0.flatMap((p) => [p, 1 - p]);

describe("pairStats", () => {
  it("separates in-distribution from off-distribution distances: path dependence by construction", () => {
    // both models answer the trained environment alike, and disagree on the novel one
    const A = run(probs([0.9, 0.1, 0.9, 0.9]), probs([0.9, 0.1, 0.1, 0.1]));
    const s = pairStats(A, 0, A, 1, labels, L);
    assert.equal(s.jsIn, 0);
    assert.equal(s.agreeIn, 1);
    assert.equal(s.accGapIn, 0);
    assert.ok(Math.abs(s.jsOff - js([0.9, 0.1], [0.1, 0.9])) < 1e-6);
    assert.equal(s.agreeOff, 0);
    assert.equal(s.accGapOff, 1, "model 0 gets both novel probes right, model 1 neither");
  });

  it("has no off-distribution numbers without novel environments", () => {
    const L1 = { ...L, E: 1, T: 1 };
    const A = Float32Array.from([...probs([0.7, 0.2]), ...probs([0.6, 0.3])]);
    const s = pairStats(A, 0, A, 1, labels, L1);
    assert.ok(Number.isNaN(s.jsOff) && Number.isNaN(s.agreeOff));
    assert.ok(s.jsIn > 0);
  });
});

describe("matchedSpread and seedSpread", () => {
  it("is exactly zero between identical runs, and pairs member g with member g", () => {
    const A = run(probs([0.9, 0.1, 0.9, 0.9]), probs([0.2, 0.1, 0.1, 0.1]));
    const m = matchedSpread([A, A.slice(), A.slice()], labels, L);
    assert.equal(m.pairs, 3 * 2, "3 run pairs × 2 members");
    assert.equal(m.stats.jsIn, 0);
    assert.equal(m.stats.jsOff, 0);
    assert.equal(m.stats.agreeIn, 1);
    assert.ok(seedSpread(A, labels, L).stats.jsIn > 0, "yet the two members differ from each other");
  });

  it("leaves out diverged members", () => {
    const A = run(probs([0.9, 0.1, 0.9, 0.9]), probs([0.2, 0.1, 0.1, 0.1]));
    const B = A.slice();
    B.fill(NaN, 8, 16); // member 1 of B diverged
    assert.equal(matchedSpread([A, B], labels, L).pairs, 1);
    assert.equal(seedSpread(B, labels, L).pairs, 0);
    assert.ok(Number.isNaN(seedSpread(B, labels, L).stats.jsIn));
  });
});
