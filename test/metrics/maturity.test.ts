// Maturity and recovery on a hand-built timeline: A in [0,100) and [200,300), B in [100,200).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maturityNow } from "../../src/metrics/maturity.ts";

const phases = [{ start: 0, end: 100, env: "A" }, { start: 100, end: 200, env: "B" }, { start: 200, end: 300, env: "A" }];
// checkpoints every 50 steps; accuracy on A, B
const t = {
  steps: [0, 50, 100, 150, 200, 250, 300],
  acc: [[0.1, 0.1], [0.5, 0.1], [0.7, 0.1], [0.4, 0.6], [0.2, 0.8], [0.5, 0.6], [0.69, 0.4]],
};

describe("maturityNow", () => {
  it("is the fraction of the specialist's gain reached by the end of each phase", () => {
    const m = maturityNow(t, phases, ["A", "B"], [{ init: 0.1, final: 0.9 }, { init: 0.1, final: 0.9 }]);
    // A: phase ends at 100 (0.7) and 300 (0.69): ((0.7-0.1) + (0.69-0.1)) / 2 / 0.8
    assert.ok(Math.abs(m["mature/level:A"]! - (0.6 + 0.59) / 2 / 0.8) < 1e-12);
    assert.ok(Math.abs(m["mature/level:B"]! - 0.7 / 0.8) < 1e-12);
  });
  it("counts the steps until a returning environment is back near its previous level", () => {
    const m = maturityNow(t, phases, ["A", "B"]);
    assert.equal(m["mature/recover:A"], 100); // back to ≥ 0.7 − 0.02 at step 300, 100 steps into the phase
    assert.equal(m["mature/unrecovered:A"], 0);
    assert.ok(Number.isNaN(m["mature/recover:B"]!)); // B has not returned
    assert.ok(Number.isNaN(m["mature/level:A"]!)); // no specialist, no level
  });
  it("counts a return phase that never gets back as unrecovered", () => {
    const worse = { steps: t.steps, acc: t.acc.map((r, i) => (i >= 5 ? [0.3, r[1]!] : r)) };
    const m = maturityNow(worse, phases, ["A", "B"]);
    assert.equal(m["mature/unrecovered:A"], 1);
    assert.ok(Number.isNaN(m["mature/recover:A"]!));
  });
});
