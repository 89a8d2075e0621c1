// A sweep's phase diagram as a figure, plus where each cell sits in it, so a click on a drawn
// cell (whose datum carries only its x, y and facet values) can be traced back to its runs.
// The one place that decides axes and cell values: the dashboard, reports and exports draw from it.

import { LABEL_CODES, type ClassLabel } from "../metrics/classify.ts";
import { phaseDiagramSpec, type DiagramCell, type VlSpec } from "../plots/index.ts";
import { diagramAxes, type SweepResults } from "./results.ts";

export interface DiagramPlacement {
  index: number; // the cell's position in the sweep
  x: string; // its values as drawn (the spec's row fields `x`, `y`, `facet`)
  y: string;
  facet: string; // "" without a facet
  runIds: string[];
}

export interface SweepDiagram {
  axes?: NonNullable<SweepResults["diagram"]>; // x, y, facet and their titles
  spec?: VlSpec; // absent when the sweep cannot be drawn (see note)
  note?: string; // why there is no diagram
  placements: DiagramPlacement[]; // completed cells, as drawn
}

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);

export function sweepDiagram(r: SweepResults): SweepDiagram {
  const { dims, value } = diagramAxes(r);
  const axes = r.diagram ?? (dims.length >= 2 && dims.length <= 3 ? { x: dims[0]!, y: dims[1]!, facet: dims[2] } : undefined);
  if (!axes) return { placements: [], note: `no phase diagram: it shows 2 or 3 swept dimensions, this sweep has ${dims.length} (${dims.join(", ") || "none"})` };
  const done = r.cells.filter((c) => c.status === "completed");
  if (done.length === 0) return { axes, placements: [], note: "no phase diagram yet: no cell has completed" };
  const used = [axes.x, axes.y, ...(axes.facet ? [axes.facet] : [])];
  const cells: DiagramCell[] = done.map((c) => ({
    params: Object.fromEntries(used.map((d) => [d, value(c, d)])),
    label: (LABEL_CODES as readonly string[]).includes(c.label ?? "") ? (c.label as ClassLabel) : "unresolved",
    scores: Object.fromEntries(Object.entries(c.scores).filter(([, v]) => typeof v === "number")),
    ci: Object.fromEntries(Object.entries(c.ci).filter(([, v]) => isObj(v) && typeof v.lo === "number" && typeof v.hi === "number")) as Record<string, { lo: number; hi: number }>,
  }));
  const placements = done.map((c) => ({
    index: c.index, runIds: c.runIds,
    x: String(value(c, axes.x)), y: String(value(c, axes.y)), facet: axes.facet ? String(value(c, axes.facet)) : "",
  }));
  try {
    return { axes, placements, spec: phaseDiagramSpec(cells, { ...axes, title: `${r.name}: class per cell (score [95% CI] over seeds)` }) };
  } catch (e) {
    // e.g. two cells on one spot when the diagram's axes leave a swept dimension out
    return { axes, placements, note: `no phase diagram: ${(e as Error).message}` };
  }
}
