import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify, classScores, CLASSES } from "../../src/metrics/classify.ts";

describe("classScores", () => {
  const cases: [string, number, number, string][] = [
    ["no conditionality, no churn → generalist", 0, 0, "ecological-generalist"],
    ["full conditionality, no churn → conditional policy", 1, 0, "conditional-policy"],
    ["no conditionality, full churn → strategy churn", 0, 1, "strategy-churn"],
  ];
  for (const [name, c, h, winner] of cases)
    it(name, () => assert.equal(classScores(c, h)[winner as "strategy-churn"], 1));
  it("saturates: half the teachers' difference already counts in full", () => {
    assert.equal(classScores(0.5, 0)["conditional-policy"], 1);
    assert.equal(classScores(0.25, 0)["conditional-policy"], 0.5);
    assert.equal(classScores(0.25, 0, 1)["conditional-policy"], 0.25);
  });
  it("scores sum to 1 with the mixed cell, and out-of-range inputs are clamped", () => {
    const s = classScores(0.15, 0.3);
    assert.ok(Math.abs(Object.values(s).reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.deepEqual(classScores(1.4, -0.2), classScores(1, 0));
  });
});

const seeds = (f: (i: number) => number, n = 8) => Float64Array.from({ length: n }, (_, i) => f(i));

describe("classify", () => {
  it("labels a clear, consistent class and gives intervals that exclude the others", () => {
    const r = classify({
      "ecological-generalist": seeds((i) => 0.1 + 0.01 * i),
      "conditional-policy": seeds((i) => 0.8 - 0.01 * i),
      "strategy-churn": seeds(() => 0.05),
    });
    assert.equal(r.label, "conditional-policy");
    assert.equal(r.n, 8);
    for (const k of CLASSES) assert.ok(r.ci[k].lo <= r.scores[k] && r.scores[k] <= r.ci[k].hi);
    assert.ok(r.ci["conditional-policy"].lo > r.ci["ecological-generalist"].hi);
  });
  it("is unresolved when the best class is weak", () => {
    const r = classify({ "ecological-generalist": seeds(() => 0.4), "conditional-policy": seeds(() => 0.35), "strategy-churn": seeds(() => 0.1) });
    assert.equal(r.label, "unresolved");
  });
  it("is unresolved when seeds disagree so the intervals overlap", () => {
    const r = classify({
      "ecological-generalist": seeds((i) => (i % 2 ? 0.9 : 0.1)),
      "conditional-policy": seeds((i) => (i % 2 ? 0.05 : 0.85)),
      "strategy-churn": seeds(() => 0.05),
    });
    assert.equal(r.label, "unresolved");
  });
  it("leaves diverged (NaN) seeds out", () => {
    const r = classify({ "ecological-generalist": seeds((i) => (i < 2 ? NaN : 0.9)), "conditional-policy": seeds((i) => (i < 2 ? NaN : 0.05)), "strategy-churn": seeds((i) => (i < 2 ? NaN : 0.05)) });
    assert.equal(r.n, 6);
    assert.equal(r.label, "ecological-generalist");
  });
  it("is deterministic", () => {
    const x = { "ecological-generalist": seeds((i) => i / 10), "conditional-policy": seeds((i) => 1 - i / 10), "strategy-churn": seeds(() => 0) };
    assert.deepEqual(classify(x), classify(x));
  });
});
