import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CLASS_COLORS, matrixSpec, phaseDiagramSpec, toSvg, type DiagramCell,
} from "../../src/plots/index.ts";
import { LABEL_CODES } from "../../src/metrics/classify.ts";
import { count, markGroups, syntheticRun, syntheticSweep, texts } from "./_fixtures.ts";

const run = syntheticRun({ seeds: 3, every: 100 });

/** The inline rows of the layer whose rows have `field`. */
function rowsWith<T>(spec: object, field: string): T[] {
  const found = [...JSON.stringify(spec).matchAll(/"values":(\[[^\]]*\])/g)].map((m) => JSON.parse(m[1]!) as T[]);
  return found.find((rows) => rows.length > 0 && field in (rows[0] as object)) ?? [];
}

describe("matrixSpec", () => {
  it("draws one cell per (env, checkpoint), envs as rows, a colour legend and the switches", async () => {
    const svg = await toSvg(matrixSpec(run.points, { phases: run.phases }));
    const [cells, outlines] = markGroups(svg, "mark-rect");
    assert.equal(count(cells!, "<path"), 3 * run.steps.length);
    assert.equal(count(outlines!, "<path"), run.phases.length, "each phase's own env outlined");
    assert.equal(count(markGroups(svg, "mark-rule")[0]!, "<line"), run.phases.length - 1);
    const t = texts(svg);
    for (const s of ["A", "B", "C", "environment", "step", "accuracy", "0.0", "1.0"]) assert.ok(t.includes(s), s);
    assert.match(svg, /<linearGradient id="e[0-9a-f]{8}-gradient_0"/);
  });

  it("averages over the seeds that have a value", () => {
    const pts = run.points.map((p) => (p.seed === 0 ? { ...p, value: null } : p));
    const rows = rowsWith<{ env: string; step: number; mean: number; n: number }>(matrixSpec(pts), "mean");
    assert.equal(rows.length, 3 * run.steps.length);
    for (const r of rows) {
      const vs = pts.filter((p) => p.key === `perf/acc:${r.env}` && p.step === r.step && p.value !== null).map((p) => p.value!);
      assert.equal(r.n, 2);
      assert.ok(Math.abs(r.mean - (vs[0]! + vs[1]!) / 2) < 1e-5);
    }
  });

  it("covers uneven checkpoint cadences without gaps between cells", () => {
    const steps = [0, 10, 30, 100, 1000];
    const pts = steps.map((step) => ({ step, seed: 0, key: "perf/acc:A", value: 0.5 }));
    const rows = rowsWith<{ step: number; x0: number; x1: number }>(matrixSpec(pts), "x0");
    assert.deepEqual(rows.map((r) => r.step), steps);
    for (const [i, r] of rows.entries()) {
      assert.ok(r.x0 < r.step && r.step < r.x1, `cell ${i} holds its checkpoint`);
      if (i > 0) assert.ok(rows[i - 1]!.x1 >= r.x0, `no gap before cell ${i}`);
    }
  });

  it("is byte-identical across renders", async () => {
    const spec = matrixSpec(run.points, { phases: run.phases, title: "P[t][k]" });
    assert.equal(await toSvg(spec), await toSvg(spec));
  });
});

describe("phaseDiagramSpec", () => {
  const cells = syntheticSweep();
  const opts = { x: "width", y: "l1", facet: "volatility" };
  const short: Record<string, string> = {
    "ecological-generalist": "generalist", "conditional-policy": "conditional",
    "strategy-churn": "churn", unresolved: "unresolved",
  };

  it("writes each cell's class, score and CI, one panel per facet value", async () => {
    const svg = await toSvg(phaseDiagramSpec(cells, opts));
    assert.equal(count(svg, 'aria-roledescription="rect mark"'), cells.length);
    const t = texts(svg);
    for (const c of cells) {
      const s = c.scores[c.label]!;
      const ci = c.ci![c.label]!;
      const want = `${short[c.label]}\n${s.toFixed(2)} [${ci.lo.toFixed(2)}, ${ci.hi.toFixed(2)}]`;
      assert.ok(t.includes(want), `cell ${JSON.stringify(c.params)}: ${JSON.stringify(want)}`);
    }
    for (const s of ["volatility = 0.01", "volatility = 0.1", "width", "l1", "class"]) assert.ok(t.includes(s), s);
    assert.equal(await toSvg(phaseDiagramSpec(cells, opts)), svg);
  });

  it("colours cells by class with fixed colours and lists every class in the legend", async () => {
    const one: DiagramCell[] = [{ params: { width: 16, l1: 0 }, label: "strategy-churn", scores: { "strategy-churn": 1 } }];
    const svg = await toSvg(phaseDiagramSpec(one, { x: "width", y: "l1" }));
    const [cell] = markGroups(svg, "mark-rect");
    assert.match(cell!, new RegExp(`fill="${CLASS_COLORS["strategy-churn"]}"`));
    const t = texts(svg);
    for (const label of LABEL_CODES) assert.ok(t.includes(label), label);
    assert.ok(t.includes("churn\n1.00"), "no CI: the score alone");
  });

  it("orders params numerically, the largest y at the top, and fades unsure cells", () => {
    const grid: DiagramCell[] = [100, 20, 3].flatMap((width) => [0.5, 0.05].map((l1) => ({
      params: { width, l1 }, label: "conditional-policy" as const, scores: { "conditional-policy": l1 },
    })));
    const spec = phaseDiagramSpec(grid, { x: "width", y: "l1" }) as { layer: { encoding: Record<string, { sort?: unknown }> }[] };
    assert.deepEqual(spec.layer[0]!.encoding.x!.sort, ["3", "20", "100"]);
    assert.deepEqual(spec.layer[0]!.encoding.y!.sort, ["0.5", "0.05"]);
    const rows = rowsWith<{ opacity: number; y: string }>(spec, "opacity");
    assert.ok(rows.find((r) => r.y === "0.05")!.opacity < rows.find((r) => r.y === "0.5")!.opacity);
  });

  it("shows an unresolved cell's best score", () => {
    const c: DiagramCell = { params: { a: 1, b: 1 }, label: "unresolved", scores: { "strategy-churn": 0.4, "conditional-policy": 0.45 } };
    const rows = rowsWith<{ text: string }>(phaseDiagramSpec([c], { x: "a", y: "b" }), "text");
    assert.equal(rows[0]!.text, "unresolved\n0.45");
  });

  const bad: [string, DiagramCell[], RegExp][] = [
    ["a missing param", [{ params: { width: 1, volatility: 0 }, label: "unresolved", scores: {} }], /cell 0 has no param l1 \(has: width, volatility\)$/],
    ["two cells in one place", [cells[0]!, { ...cells[0]! }], /two cells at width=16, l1=0, volatility=0.01$/],
    ["an unknown class", [{ params: { width: 1, l1: 1, volatility: 0 }, label: "generalist" as never, scores: {} }], /unknown class label: generalist/],
  ];
  for (const [name, input, re] of bad) {
    it(`rejects ${name}`, () => assert.throws(() => phaseDiagramSpec(input, opts), re));
  }
});
