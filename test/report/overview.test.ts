// The numbers beside the pictures, from constructed points whose answers are known by hand.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runOverview, runClass, specFields, stat } from "../../src/report/overview.ts";
import type { MetricPoint, RunRow } from "../../src/store/types.ts";

const pt = (step: number, seed: number, key: string, value: number | null): MetricPoint => ({ step, seed, key, value });
const run = (o: Partial<Pick<RunRow, "envs" | "status" | "summary" | "metrics">> = {}) => ({ envs: ["A", "B"], status: "running" as const, summary: null, ...o });

describe("stat", () => {
  it("is mean and sample sd over finite values, n counting them", () => {
    assert.deepEqual(stat([1, 3, null, NaN]), { mean: 2, sd: Math.SQRT2, n: 2 });
    assert.deepEqual(stat([5]), { mean: 5, sd: 0, n: 1 });
    assert.deepEqual(stat([null]), { mean: null, sd: null, n: 0 });
  });
});

describe("runOverview", () => {
  it("has nothing before the first checkpoint", () => {
    assert.deepEqual(runOverview(run(), []), { step: null, classification: null, performance: [], headline: [] });
  });

  it("reads the last checkpoint only, trained environments first, novel ones after in natural order", () => {
    const points = [
      pt(0, 0, "perf/acc:A", 0.1), pt(20, 0, "perf/acc:A", 0.5), pt(20, 1, "perf/acc:A", 0.7),
      pt(20, 0, "perf/acc:N10", 0.2), pt(20, 0, "perf/acc:N2", 0.3), pt(20, 0, "perf/acc:B", 0.4), pt(20, 0, "perf/reward:B", 0.35),
    ];
    const ov = runOverview(run({ envs: ["B", "A"] }), points);
    assert.equal(ov.step, 20);
    assert.deepEqual(ov.performance.map((p) => p.env), ["B", "A", "N2", "N10"]);
    assert.equal(ov.performance[1]!.acc.mean, 0.6);
    assert.deepEqual(ov.performance[0]!.reward, { mean: 0.35, sd: 0, n: 1 });
    assert.deepEqual(ov.performance[1]!.reward, { mean: null, sd: null, n: 0 });
  });

  it("lists the keys whose descriptor is a headline, in registration order, titled by it", () => {
    const keys = ["route/decode:L10", "route/decode:L2", "behav/cond", "perf/acc:A", "class/churn", "train/loss", "cl/avg", "ws/jsMixture", "mature/level:A", "rep/dim"];
    const ov = runOverview(run(), keys.map((k) => pt(0, 0, k, 1)));
    assert.deepEqual(ov.headline.map((h) => h.key), ["behav/cond", "route/decode:L2", "route/decode:L10", "mature/level:A"]);
    assert.deepEqual(ov.headline.slice(0, 2).map((h) => h.title), ["conditionality", "cue decodability at L2 (LDA probe)"]);
  });

  it("lists a key no descriptor describes (a plugin's), and a stored descriptor's headline with its title", () => {
    const points = [pt(0, 0, "custom/score", 0.2), pt(0, 1, "custom/score", 0.4), pt(0, -1, "custom/run", 3), pt(0, 0, "behav/cond", 1)];
    const plain = runOverview(run(), points).headline;
    assert.deepEqual(plain.map((h) => [h.key, h.title]), [["behav/cond", "conditionality"], ["custom/run", "custom/run"], ["custom/score", "custom/score"]]);
    assert.deepEqual(plain[1]!.stat, { mean: 3, sd: 0, n: 1 }, "a run-level value alone");
    assert.ok(Math.abs(plain[2]!.stat.mean! - 0.3) < 1e-12);
    const metrics = [{ key: "custom/score", title: "My score", headline: true, panel: "custom" }, { key: "custom/run", title: "not a headline" }];
    assert.deepEqual(runOverview(run({ metrics }), points).headline.map((h) => [h.key, h.title]), [["behav/cond", "conditionality"], ["custom/score", "My score"]]);
  });

  it("takes a live run's class from the checkpoint: label code and intervals at seed -1, scores over seeds", () => {
    const points = [
      pt(40, -1, "class/label", 1), pt(40, -1, "class/lo:conditional", 0.6), pt(40, -1, "class/hi:conditional", 0.8),
      pt(40, 0, "class/conditional", 0.6), pt(40, 1, "class/conditional", 0.8), pt(40, 0, "class/generalist", 0.1),
    ];
    const c = runOverview(run(), points).classification!;
    assert.equal(c.label, "conditional-policy");
    assert.equal(c.source, "checkpoint");
    assert.ok(Math.abs(c.scores["conditional-policy"]! - 0.7) < 1e-12);
    assert.deepEqual(c.ci, { "conditional-policy": { lo: 0.6, hi: 0.8 } });
    assert.equal(runOverview(run(), [pt(0, -1, "class/label", 9)]).classification!.label, "unresolved", "an unknown code is not a class");
  });

  it("quotes a completed run's stored verdict, and ignores a summary without one", () => {
    const classification = { label: "strategy-churn", scores: { "strategy-churn": 0.9 }, ci: { "strategy-churn": { lo: 0.8, hi: 0.95 } } };
    const points = [pt(0, -1, "class/label", 0)];
    const done = runOverview(run({ status: "completed", summary: { classification } }), points).classification!;
    assert.deepEqual([done.label, done.source, done.ci], ["strategy-churn", "summary", classification.ci]);
    assert.equal(runOverview(run({ status: "completed", summary: { classification: null } }), points).classification!.label, "ecological-generalist");
    assert.equal(runClass({ summary: { classification } }), "strategy-churn");
    assert.equal(runClass({ summary: "garbage" }), null);
  });
});

describe("specFields", () => {
  it("reads the fields the runs list filters on", () => {
    const spec = { world: { distinguishability: 0.8, similarity: 0.2 }, schedule: { kind: "markov", switchProb: 0.01 }, model: { hidden: [128, 128], bottleneck: 2 } };
    assert.deepEqual(specFields(JSON.stringify(spec)), { schedule: "markov", distinguishability: 0.8, similarity: 0.2, hidden: [128, 128], bottleneck: 2 });
  });
  for (const bad of ["not json", "null", "[]", '{"world": 3, "model": {"hidden": ["x"]}}']) {
    it(`gives nulls, not an exception, for ${bad}`, () => {
      assert.deepEqual(specFields(bad), { schedule: null, distinguishability: null, similarity: null, hidden: null, bottleneck: null });
    });
  }
});
