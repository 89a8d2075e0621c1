import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { curvesSpec, panelsSpec, toSvg } from "../../src/plots/index.ts";
import { cleanLabels, seedStats, selectKeys } from "../../src/plots/_data.ts";
import type { MetricPoint } from "../../src/store/types.ts";
import { blocks, count, markGroups, syntheticRun, texts } from "./_fixtures.ts";

const run = syntheticRun();

/** The inline data rows of the layer that draws the curves. */
function curveRows(spec: object): { step: number; label: string; mean: number; lo: number; hi: number; n: number }[] {
  const json = JSON.stringify(spec);
  const found = [...json.matchAll(/"values":(\[[^\]]*"mean"[^\]]*\])/g)];
  assert.equal(found.length, 1);
  return JSON.parse(found[0]![1]!);
}

describe("seedStats", () => {
  const p = (step: number, seed: number, value: number | null, key = "k"): MetricPoint => ({ step, seed, key, value });

  it("skips null and non-finite seeds instead of turning the mean into NaN", () => {
    const [s] = seedStats([p(0, 0, 1), p(0, 1, null), p(0, 2, 3), p(0, 3, NaN), p(0, 4, Infinity)], ["k"]);
    assert.deepEqual(s, { key: "k", step: 0, mean: 2, sd: Math.SQRT2, min: 1, max: 3, n: 2 });
  });

  it("has no row at a step where every seed is missing", () => {
    assert.deepEqual(seedStats([p(0, 0, null), p(0, 1, null), p(10, 0, 1)], ["k"]).map((s) => s.step), [10]);
  });

  it("uses the run-level aggregate (seed -1) only where no seed has a value", () => {
    const rows = seedStats([p(0, -1, 9), p(0, 0, 1), p(10, -1, 5), p(10, 0, null)], ["k"]);
    assert.deepEqual(rows.map((r) => [r.step, r.mean, r.n]), [[0, 1, 1], [10, 5, 1]]);
  });

  it("orders rows by the given keys, then by step", () => {
    const rows = seedStats([p(10, 0, 1, "b"), p(0, 0, 1, "b"), p(0, 0, 1, "a"), p(0, 0, 1, "z")], ["b", "a"]);
    assert.deepEqual(rows.map((r) => `${r.key}@${r.step}`), ["b@0", "b@10", "a@0"]);
  });
});

describe("key selection and labels", () => {
  it("selects keys by prefix in natural order", () => {
    const pts = ["perf/acc:env10", "perf/acc:env2", "perf/acc:env1", "perf/other"].map((key) => ({ step: 0, seed: 0, key, value: 1 }));
    assert.deepEqual(selectKeys(pts, { prefix: "perf/acc:" }, "t"), ["perf/acc:env1", "perf/acc:env2", "perf/acc:env10"]);
  });

  const cases: [string, string[], string | undefined, string[]][] = [
    ["prefix stripped", ["perf/acc:A", "perf/acc:B"], "perf/acc:", ["A", "B"]],
    ["shared group stripped", ["behav/churn", "behav/conditionality"], undefined, ["churn", "conditionality"]],
    ["a single key keeps its name", ["behav/churn"], undefined, ["churn"]],
    ["different groups keep their group", ["behav/churn", "mech/cka"], undefined, ["behav/churn", "mech/cka"]],
    ["shared prefix up to ':'", ["perf/acc:A", "perf/acc:B"], undefined, ["A", "B"]],
  ];
  for (const [name, keys, prefix, want] of cases) it(name, () => assert.deepEqual(cleanLabels(keys, prefix), want));

  it("asks for keys or prefix, not both or neither", () => {
    assert.throws(() => curvesSpec(run.points, {}), /^TypeError: curvesSpec: expected keys or prefix, got neither$/);
    assert.throws(() => curvesSpec(run.points, { keys: ["a"], prefix: "a" }), /curvesSpec: give keys or prefix, not both$/);
  });
});

describe("curvesSpec", () => {
  it("draws one mean line and one band per key, with clean legend labels", async () => {
    const svg = await toSvg(curvesSpec(run.points, { prefix: "perf/acc:", phases: run.phases, yTitle: "accuracy" }));
    assert.equal(markGroups(svg, "mark-line").length, 3);
    assert.equal(markGroups(svg, "mark-area").length, 3);
    for (const line of markGroups(svg, "mark-line")) assert.equal(count(line, "<path"), 1);
    const t = texts(svg);
    assert.ok(!t.some((s) => s.includes("perf/acc")), "the prefix is stripped from labels");
    // Six blocks A B C A B C: each env written over its two phases, plus once in the legend.
    for (const env of ["A", "B", "C"]) assert.equal(t.filter((s) => s === env).length, 3, env);
    assert.ok(t.includes("accuracy") && t.includes("step"));
  });

  it("draws a band per phase and a rule at each switch", async () => {
    const svg = await toSvg(curvesSpec(run.points, { prefix: "perf/acc:", phases: run.phases }));
    const [bands] = markGroups(svg, "mark-rect");
    const [rules] = markGroups(svg, "mark-rule");
    assert.equal(count(bands!, "<path"), 6);
    assert.equal(count(rules!, "<line"), 5);
  });

  it("leaves out phase labels that would not fit, and draws no phase layers without phases", async () => {
    const many = blocks(60, 30); // 60 phases of ~9 px each
    const svg = await toSvg(curvesSpec(syntheticRun({ phases: many, every: 30 }).points, { prefix: "perf/acc:", phases: many }));
    assert.equal(count(markGroups(svg, "mark-rect")[0]!, "<path"), 60);
    assert.equal(texts(svg).filter((s) => s === "A").length, 1, "legend only");
    const bare = await toSvg(curvesSpec(run.points, { prefix: "perf/acc:" }));
    assert.equal(markGroups(bare, "mark-rect").length + markGroups(bare, "mark-rule").length, 0);
  });

  it("draws the mixture schedule as one labelled band, and clips phases to the plotted steps", async () => {
    const mixture = [{ start: 0, end: 100_000, env: "mixture" }];
    const svg = await toSvg(curvesSpec(run.points, { prefix: "perf/acc:", phases: mixture }));
    assert.equal(count(markGroups(svg, "mark-rect")[0]!, "<path"), 1);
    assert.equal(count(markGroups(svg, "mark-rule")[0] ?? "", "<line"), 0);
    assert.ok(texts(svg).includes("mixture"));
    assert.ok(!texts(svg).includes("100,000"), "the x axis ends at the last checkpoint");
  });

  it("computes the band over seeds: mean ± sd, or min..max; a seed of nulls is skipped", () => {
    const pts = run.points.map((p) => (p.seed === 1 && p.key === "perf/acc:A" ? { ...p, value: null } : p));
    const sd = curveRows(curvesSpec(pts, { keys: ["perf/acc:A"] }));
    const mm = curveRows(curvesSpec(pts, { keys: ["perf/acc:A"], band: "minmax" }));
    assert.equal(sd.length, run.steps.length);
    for (const [i, r] of sd.entries()) {
      const vs = pts.filter((p) => p.key === "perf/acc:A" && p.step === r.step && p.value !== null).map((p) => p.value!);
      const mean = vs.reduce((a, b) => a + b) / vs.length;
      assert.equal(r.n, 3);
      assert.ok(Number.isFinite(r.mean) && Math.abs(r.mean - mean) < 1e-5);
      assert.ok(r.lo < r.mean && r.mean < r.hi && Math.abs(r.hi - r.mean - (r.mean - r.lo)) < 1e-5);
      assert.ok(Math.abs(mm[i]!.lo - Math.min(...vs)) < 1e-5 && Math.abs(mm[i]!.hi - Math.max(...vs)) < 1e-5);
    }
  });

  it("keeps the order and colours of explicit keys, with custom labels", async () => {
    const spec = curvesSpec(run.points, {
      keys: ["behav/conditionality", "behav/churn"], labels: { "behav/churn": "churn (JS)" },
    });
    const t = texts(await toSvg(spec));
    assert.ok(t.indexOf("conditionality") < t.indexOf("churn (JS)") && t.indexOf("conditionality") >= 0);
  });

  it("renders with no data yet (a run that has just started)", async () => {
    const svg = await toSvg(curvesSpec([], { prefix: "perf/acc:", phases: run.phases }));
    assert.equal(markGroups(svg, "mark-line").length, 0);
    assert.equal(count(markGroups(svg, "mark-rect")[0]!, "<path"), 6);
  });
});

describe("panelsSpec", () => {
  const groups = [
    { title: "performance", prefix: "perf/acc:", yDomain: [0, 1] as [number, number] },
    { title: "behavioural decomposition", prefix: "behav/" },
    { title: "mechanism", keys: ["mech/decodability"] },
  ];

  it("stacks one panel per group on one step axis, phase labels on the top panel only", async () => {
    const svg = await toSvg(panelsSpec(run.points, groups, run.phases, { title: "run 1" }));
    assert.equal(markGroups(svg, "mark-line").length, 3 + 2 + 1);
    const t = texts(svg);
    for (const g of groups) assert.ok(t.includes(g.title), g.title);
    assert.equal(t.filter((s) => s === "step").length, 1, "one x axis title, under the bottom panel");
    assert.equal(t.filter((s) => s === "A").length, 3, "two phase labels and one legend entry");
    assert.equal(markGroups(svg, "mark-rule").length, 3, "the switches are drawn in every panel");
    assert.equal(await toSvg(panelsSpec(run.points, groups, run.phases, { title: "run 1" })), svg);
  });

  it("needs at least one group", () => {
    assert.throws(() => panelsSpec(run.points, []), /panelsSpec: expected at least one group, got none$/);
  });
});
