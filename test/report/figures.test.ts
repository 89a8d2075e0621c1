// Which figures a run's metrics fill, compare's one-colour-per-run panels, and the sweep diagram's
// placements: from constructed data, so the answers are known by construction.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toSvg } from "../../src/plots/index.ts";
import { compareSpec, defaultCompareKeys } from "../../src/report/compare.ts";
import { sweepDiagram } from "../../src/sweep/diagram.ts";
import { runFigures } from "../../src/report/figures.ts";
import type { MetricPoint } from "../../src/store/types.ts";
import type { CellResult, SweepResults } from "../../src/sweep/export.ts";

const series = (key: string, f: (step: number, seed: number) => number | null, steps = [0, 20, 40], seeds = [0, 1]): MetricPoint[] =>
  steps.flatMap((step) => seeds.map((seed) => ({ step, seed, key, value: f(step, seed) })));
const phases = [{ start: 0, end: 20, env: "A" }, { start: 20, end: 40, env: "B" }];

describe("runFigures", () => {
  it("draws nothing before the first checkpoint", () => assert.deepEqual(runFigures([], phases), []));

  it("leaves out figures whose metrics have no finite value (never an empty frame)", () => {
    const points = [...series("perf/acc:A", (s) => s / 40), ...series("behav/cond", () => null), ...series("route/conflict", () => NaN)];
    assert.deepEqual(runFigures(points, phases).map((f) => f.id), ["performance", "matrix"]);
  });

  it("keeps only the present mechanism panels, in reading order", () => {
    const points = [...series("perf/acc:A", () => 0.5), ...series("behav/cond", () => 0.2), ...series("behav/churn", () => 0.1),
      ...series("class/generalist", () => 0.7), ...series("rep/dim", () => 3), ...series("route/decode:L1", () => 1)];
    const figs = runFigures(points, phases);
    assert.deepEqual(figs.map((f) => f.id), ["performance", "matrix", "behaviour", "classes", "mechanism"]);
    const mech = figs[4]!.spec as { vconcat: { title: { text: string } }[] };
    assert.deepEqual(mech.vconcat.map((p) => p.title.text.split(":")[0]), ["routing", "representation dimension (participation ratio)"]);
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
