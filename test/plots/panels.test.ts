// Panels from metric descriptors: which keys share axes, in which order, under which labels.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metrics } from "../../src/metrics/live/index.ts";
import { describeKeys, panelGroup, PANELS, presentKeys, registeredAs, shortTitles } from "../../src/plots/index.ts";

describe("PANELS", () => {
  it("names panels that registered metrics draw", () => {
    const panels = new Set(metrics.all().flatMap((m) => m.keys.map((d) => d.panel)));
    for (const p of Object.values(PANELS)) assert.ok(panels.has(p), p);
  });
});

describe("shortTitles", () => {
  const cases: [string[], string[]][] = [
    [["accuracy on A", "accuracy on B", "accuracy on N10"], ["A", "B", "N10"]],
    [["conditionality (JS decomposition)", "churn (JS decomposition)"], ["conditionality", "churn"]],
    [["ecological-generalist score", "strategy-churn score"], ["ecological-generalist", "strategy-churn"]],
    [["custom/score", "custom/other"], ["score", "other"]],
    [["training loss"], ["training loss"]], // one series: its whole title
    [["a b", "a c b"], ["a b", "a c b"]], // one would be left empty
    [["score on A", "score on A"], ["score on A", "score on A"]],
  ];
  for (const [titles, want] of cases) it(`${titles.join(" | ")} → ${want.join(" | ")}`, () => assert.deepEqual(shortTitles(titles), want));
});

describe("describeKeys", () => {
  it("orders by registration, a pattern's keys naturally, then keys no metric writes", () => {
    const keys = ["zz/custom", "rep/dim", "perf/acc:N10", "behav/cond", "perf/acc:N2", "aa/custom", "train/loss"];
    assert.deepEqual(describeKeys(keys).map((d) => d.key), ["perf/acc:N2", "perf/acc:N10", "behav/cond", "rep/dim", "train/loss", "aa/custom", "zz/custom"]);
    assert.equal(registeredAs("aa/custom"), undefined);
    assert.equal(registeredAs("route/decode:L3")?.metric.kind, "routing");
  });

  it("keeps the run's stored order within a pattern and for keys no metric writes, and its descriptors", () => {
    const stored = [
      { key: "perf/acc:N10", title: "accuracy on N10", panel: "accuracy per environment" }, { key: "perf/acc:N2", title: "accuracy on N2", panel: "accuracy per environment" },
      { key: "zz/custom", title: "Z" }, { key: "aa/custom", title: "A" },
    ];
    const ds = describeKeys(["aa/custom", "zz/custom", "perf/acc:N2", "perf/acc:N10", "behav/cond"], stored);
    assert.deepEqual(ds.map((d) => d.key), ["perf/acc:N10", "perf/acc:N2", "behav/cond", "zz/custom", "aa/custom"]);
    assert.deepEqual(ds.map((d) => d.title), ["accuracy on N10", "accuracy on N2", "conditionality", "Z", "A"]);
  });

  it("is given the keys with a finite value by presentKeys", () => {
    const points = [{ step: 0, seed: 0, key: "a/x", value: null }, { step: 0, seed: 1, key: "a/y", value: 1 }, { step: 0, seed: 0, key: "a/z", value: NaN }];
    assert.deepEqual([...presentKeys(points)], ["a/y"]);
  });
});

describe("panelGroup", () => {
  it("spans the ranges when every key has one; the y title is the keys' one axis", () => {
    const g = panelGroup("p", [{ key: "a/x", title: "x", axis: "accuracy", range: [0, 1] }, { key: "a/y", title: "y", axis: "accuracy", range: [-1, 0.5] }]);
    assert.deepEqual(g, { title: "p", keys: ["a/x", "a/y"], labels: { "a/x": "x", "a/y": "y" }, yTitle: "accuracy", yDomain: [-1, 1] });
    const mixed = panelGroup("p", [{ key: "a/x", title: "x", axis: "accuracy", range: [0, 1] }, { key: "a/y", title: "y", axis: "cosine" }]);
    assert.deepEqual([mixed.yTitle, mixed.yDomain], [undefined, undefined], "several axes: the legend says what each is");
    assert.equal(panelGroup("p", [{ key: "a/x", title: "x" }]).yTitle, "x", "one key without an axis: its title");
  });
});
