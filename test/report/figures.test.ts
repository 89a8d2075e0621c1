// Which figures a run's metrics fill, compare's one-colour-per-run panels, and the sweep diagram's
// placements: from constructed data, so the answers are known by construction.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toSvg, type VlSpec } from "../../src/plots/index.ts";
import { compareDescriptors, compareSpec, defaultCompareKeys } from "../../src/report/compare.ts";
import { sweepDiagram } from "../../src/sweep/diagram.ts";
import { runFigures } from "../../src/report/figures.ts";
import type { MetricPoint } from "../../src/store/types.ts";
import type { CellResult, SweepResults } from "../../src/sweep/results.ts";

const series = (key: string, f: (step: number, seed: number) => number | null, steps = [0, 20, 40], seeds = [0, 1]): MetricPoint[] =>
  steps.flatMap((step) => seeds.map((seed) => ({ step, seed, key, value: f(step, seed) })));
const phases = [{ start: 0, end: 20, env: "A" }, { start: 20, end: 40, env: "B" }];

/** What a curves figure draws: its legend, y range and y title. */
function curves(spec: VlSpec) {
  type Enc = { y: { scale: { domain?: number[] }; title: string | null }; color: { scale: { domain: string[] } } };
  const series = (spec as { layer: { data?: unknown; layer?: { encoding: Enc }[] }[] }).layer.find((l) => l.data && l.layer)!;
  const enc = series.layer![1]!.encoding;
  return { legend: enc.color.scale.domain, yDomain: enc.y.scale.domain, yTitle: enc.y.title };
}

describe("runFigures", () => {
  it("draws nothing before the first checkpoint", () => assert.deepEqual(runFigures([], phases), []));

  it("leaves out figures whose metrics have no finite value (never an empty frame)", () => {
    const points = [...series("perf/acc:A", (s) => s / 40), ...series("behav/cond", () => null), ...series("route/conflict", () => NaN)];
    assert.deepEqual(runFigures(points, phases).map((f) => f.id), ["performance", "matrix"]);
  });

  it("draws accuracy first, then a figure per descriptor panel in registration order", () => {
    const points = [...series("route/decode:L1", () => 1), ...series("rep/dim", () => 3), ...series("class/conditional", () => 0.2),
      ...series("class/generalist", () => 0.7), ...series("behav/churn", () => 0.1), ...series("behav/cond", () => 0.2), ...series("perf/acc:A", () => 0.5)];
    const figs = runFigures(points, phases);
    assert.deepEqual(figs.map((f) => f.title), ["accuracy per environment (mean ± sd over seeds; schedule phases behind)",
      "performance matrix P[t][k]: accuracy per environment over time (outlined: the environment in training)", "behaviour", "class scores",
      "routing: cue decodability, selectivity, mask overlap", "representation dimension (participation ratio)"]);
    assert.deepEqual(figs.map((f) => f.id).slice(2, 4), ["behaviour", "class-scores"]);
    assert.deepEqual(curves(figs[2]!.spec).legend, ["conditionality", "churn"], "legend from titles, in descriptor order");
    assert.deepEqual(curves(figs[3]!.spec), { legend: ["ecological-generalist", "conditional-policy"], yDomain: [0, 1], yTitle: "score" }, "range and axis from the descriptors");
    assert.equal(curves(figs[5]!.spec).yDomain, undefined, "unbounded: from the data");
  });

  it("names environments in the accuracy legend, in the run's order when it stored its descriptors", () => {
    const points = [...series("perf/acc:B", () => 0.5), ...series("perf/acc:A", () => 0.4)];
    assert.deepEqual(curves(runFigures(points, phases)[0]!.spec).legend, ["A", "B"]);
    const stored = ["B", "A"].map((e) => ({ key: `perf/acc:${e}`, title: `accuracy on ${e}`, axis: "accuracy", range: [0, 1] as [number, number], panel: "accuracy per environment" }));
    assert.deepEqual(curves(runFigures(points, phases, stored)[0]!.spec).legend, ["B", "A"]);
  });

  it("draws a key no metric describes in a figure of its group, after the described ones", () => {
    const points = [...series("custom/score", () => 0.3), ...series("custom/other", () => 2), ...series("behav/cond", () => 0.2)];
    const figs = runFigures(points, phases);
    assert.deepEqual(figs.map((f) => [f.id, f.title]), [["behaviour", "behaviour"], ["custom", "custom"]]);
    assert.deepEqual(curves(figs[1]!.spec), { legend: ["other", "score"], yDomain: undefined, yTitle: null });
  });

  it("draws a stored descriptor's title, range and panel", () => {
    const stored = [{ key: "custom/score", title: "My score", range: [0, 1] as [number, number], headline: true, panel: "mine" }];
    const [fig] = runFigures(series("custom/score", () => 0.3), phases, stored);
    assert.deepEqual([fig!.id, fig!.title], ["mine", "mine"]);
    assert.deepEqual(curves(fig!.spec), { legend: ["My score"], yDomain: [0, 1], yTitle: "My score" });
  });
});

describe("compare", () => {
  const runs = [
    { id: "r1", label: "one", points: [...series("perf/acc:A", () => 0.2), ...series("behav/cond", () => 0.1)] },
    { id: "r2", label: "two", points: [...series("perf/acc:B", () => 0.8), ...series("perf/acc:A", () => 0.6)] },
  ];

  it("defaults to accuracy on every environment any run has, then behaviour", () => {
    assert.deepEqual(defaultCompareKeys(runs), ["perf/acc:A", "perf/acc:B", "behav/cond"]);
  });

  it("draws one panel per metric, each listing the runs in order", async () => {
    const spec = compareSpec(runs, ["perf/acc:A", "behav/cond"]) as { vconcat: unknown[] };
    assert.equal(spec.vconcat.length, 2);
    const svg = await toSvg(spec as never);
    assert.equal((svg.match(/aria-roledescription="line mark"/g) ?? []).length, 3, "A for both runs, behav/cond for the first");
    assert.ok(svg.indexOf(">one<") < svg.indexOf(">two<"));
  });

  it("offers every key some run has, a stored one titled by its descriptor", () => {
    const metrics = [{ key: "custom/score", title: "My score", range: [0, 1] as [number, number], panel: "custom" }];
    const custom = [{ ...runs[0]!, points: [...runs[0]!.points, ...series("custom/score", () => 0.4)] }, { ...runs[1]!, metrics }];
    assert.deepEqual(compareDescriptors(custom).map((d) => d.key), ["perf/acc:A", "perf/acc:B", "behav/cond", "custom/score"]);
    const spec = compareSpec(custom, ["custom/score", "behav/cond"]) as { vconcat: { title: { text: string } }[] };
    assert.deepEqual(spec.vconcat.map((p) => p.title.text), ["My score (custom/score)", "conditionality (behav/cond)"]);
    assert.equal((compareSpec([custom[0]!], ["custom/score"]) as { vconcat: { title: { text: string } }[] }).vconcat[0]!.title.text, "custom/score");
  });

  it("refuses labels that would merge in the legend", () => {
    assert.throws(() => compareSpec([runs[0]!, { ...runs[1]!, label: "one" }], ["perf/acc:A"]), /labels must be unique/);
  });
});

describe("sweepDiagram", () => {
  const cell = (index: number, params: Record<string, unknown>, over: Partial<CellResult> = {}): CellResult => ({
    index, key: JSON.stringify(params), params, status: "completed", label: "conditional-policy",
    scores: { "conditional-policy": 0.8 }, ci: { "conditional-policy": { lo: 0.7, hi: 0.9 } },
    performance: {}, headline: {}, volatility: 0, runIds: [`r${index}`], error: null, ...over,
  });
  const results = (cells: CellResult[], grid: string[]): SweepResults => ({ sweepId: "s1", name: "s", status: "completed", grid, zip: [], cells, completed: cells.length, failed: 0 });

  it("places every completed cell where the diagram draws it", () => {
    const cells = [cell(0, { d: 0, b: 2 }), cell(1, { d: 0.5, b: 2 }), cell(2, { d: 0, b: 4 }, { status: "failed", label: null, runIds: ["rx"] })];
    const d = sweepDiagram(results(cells, ["d", "b"]));
    assert.deepEqual(d.axes, { x: "d", y: "b", facet: undefined });
    assert.deepEqual(d.placements, [{ index: 0, runIds: ["r0"], x: "0", y: "2", facet: "" }, { index: 1, runIds: ["r1"], x: "0.5", y: "2", facet: "" }]);
    const rows = (d.spec as { data: { values: { x: string; y: string }[] } }).data.values;
    assert.deepEqual(rows.map((r) => [r.x, r.y]), d.placements.map((p) => [p.x, p.y]), "the same coordinates as the drawn rows");
  });

  it("says why there is no diagram", () => {
    assert.match(sweepDiagram(results([cell(0, { d: 0 })], ["d"])).note!, /2 or 3 swept dimensions, this sweep has 1 \(d\)/);
    assert.match(sweepDiagram(results([cell(0, { d: 0, b: 1 }, { status: "pending", label: null })], ["d", "b"])).note!, /no cell has completed/);
  });
});
