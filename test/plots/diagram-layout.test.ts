// The phase diagram's texts never sit on top of each other: laid out by vega (its scenegraph, with
// the same estimated text widths as the SVG), no two titles, headers, axis labels or legend texts
// intersect, also for a quick sweep's few x values under a long x title (which used to draw one
// x title per panel, wider than the panel, into the next).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as vega from "vega";
import { phaseDiagramSpec, type DiagramCell } from "../../src/plots/index.ts";
import { toSvg, toVega, type VlSpec } from "../../src/plots/render.ts";

type Box = { role: string; text: string; x1: number; x2: number; y1: number; y2: number };

/** Every text item of the rendered figure with its box in figure coordinates. */
async function textBoxes(spec: VlSpec): Promise<Box[]> {
  const view = new vega.View(vega.parse(toVega(spec)), { renderer: "none" });
  await view.runAsync();
  const out: Box[] = [];
  const walk = (mark: any, dx: number, dy: number) => {
    for (const item of mark.items ?? []) {
      if (mark.marktype === "text" && item.bounds && String(item.text ?? "") !== "")
        out.push({ role: mark.role, text: String(item.text), x1: item.bounds.x1 + dx, x2: item.bounds.x2 + dx, y1: item.bounds.y1 + dy, y2: item.bounds.y2 + dy });
      if (mark.marktype === "group") for (const m of item.items ?? []) walk(m, dx + (item.x ?? 0), dy + (item.y ?? 0));
    }
  };
  walk((view.scenegraph() as unknown as { root: unknown }).root, 0, 0);
  view.finalize();
  return out;
}

const overlap = (a: Box, b: Box) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

function cells(xs: number[], facets: number[]): DiagramCell[] {
  const out: DiagramCell[] = [];
  for (const d of xs) for (const b of [2, 32]) for (const f of facets) out.push({ params: { d, b, f }, label: "conditional-policy", scores: { "conditional-policy": 0.8 }, ci: { "conditional-policy": { lo: 0.7, hi: 0.9 } } });
  return out;
}

const xTitle = "distinguishability (0 = cue is noise, 1 = cue decodes the environment)";
const opts = { x: "d", y: "b", facet: "f", xTitle, yTitle: "bottleneck width", facetTitle: "phase length (steps)", title: "quick: class per cell" };

describe("phase diagram layout", () => {
  for (const [what, xs, facets] of [["quick: 2 x values, 2 panels", [0, 1], [20, 200]], ["1 x value, 3 panels", [0.5], [10, 20, 200]], ["full: 5 x values, 2 panels", [0, 0.2, 0.4, 0.7, 1], [20, 200]]] as const) {
    it(`no two texts outside the cells intersect (${what}), and the x title is drawn once`, async () => {
      const boxes = (await textBoxes(phaseDiagramSpec(cells([...xs], [...facets]), opts))).filter((b) => b.role !== "mark"); // cell texts sit inside their cells
      assert.equal(boxes.filter((b) => b.text === xTitle).length, 1, "one x title");
      assert.equal(boxes.filter((b) => b.text.startsWith("phase length (steps) = ")).length, facets.length, "one header per panel");
      const clash = boxes.flatMap((a, i) => boxes.slice(i + 1).filter((b) => overlap(a, b)).map((b) => `${a.role} "${a.text}" × ${b.role} "${b.text}"`));
      assert.deepEqual(clash, []);
      const title = boxes.find((b) => b.text === xTitle)!, labels = boxes.filter((b) => b.role === "axis-label" && b.y1 > 0);
      assert.ok(labels.length > 0 && labels.every((l) => title.y1 >= l.y2), "the x title sits below the x axis labels");
    });
  }

  it("without a facet the x title stays the axis's own, and the SVG holds it once", async () => {
    const spec = phaseDiagramSpec(cells([0, 1], [20]).map((c) => ({ ...c, params: { d: c.params.d!, b: c.params.b! } })), { ...opts, facet: undefined });
    const boxes = await textBoxes(spec);
    assert.deepEqual(boxes.filter((b) => b.text === xTitle).map((b) => b.role), ["axis-title"]);
    const faceted = await toSvg(phaseDiagramSpec(cells([0, 1], [20, 200]), opts));
    assert.equal(faceted.split(`>${xTitle}<`).length - 1, 1, "one x title drawn in the faceted SVG");
  });
});
