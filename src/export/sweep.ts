// A sweep's results (sweep/results.ts) written as cells.csv (params as columns: pd.read_csv) and
// cells.json, plus the phase diagram when the sweep has two or three swept dimensions: what
// `ecotone sweep` leaves in its export folder. Its runs' tables: `ecotone export <sweepId>`.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { toPng, toSvg } from "../plots/index.ts";
import type { Store } from "../store/index.ts";
import { sweepDiagram } from "../sweep/diagram.ts";
import { cellText, resultsJson, sweepResults, type SweepResults } from "../sweep/results.ts";
import { csvField } from "./formats.ts";

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Nested objects as dotted columns: { a: { lo: 1 } } → { "ci.a.lo": 1 }. */
function flatten(prefix: string, v: unknown, out: Map<string, unknown>, skip?: (key: string) => boolean): void {
  if (isObj(v)) for (const [k, x] of Object.entries(v)) flatten(`${prefix}.${k}`, x, out, skip);
  else if (!skip?.(prefix)) out.set(prefix, v);
}

/**
 * One row per cell: cell (numbered from 1, as the sweep's CLI table), the params (one column each), status, label, score.<class>,
 * ci.<class>.lo/hi, acc.<env>.mean/sd/n, volatility, headline.<metric>.mean/sd, run_ids, error.
 */
export function cellsCsv(r: SweepResults): string {
  const rows = r.cells.map((c) => {
    const groups = [new Map<string, unknown>([["cell", c.index + 1]]), new Map(), new Map(), new Map(), new Map(), new Map(), new Map()];
    for (const p of [...r.grid, ...r.zip]) groups[0]!.set(p, c.params[p]);
    groups[1]!.set("status", c.status).set("label", c.label);
    flatten("score", c.scores, groups[2]!);
    flatten("ci", c.ci, groups[3]!);
    flatten("acc", c.performance, groups[4]!);
    groups[5]!.set("volatility", c.volatility);
    flatten("headline", c.headline, groups[5]!, (k) => k.endsWith(".n"));
    groups[6]!.set("run_ids", c.runIds.join(" ")).set("error", c.error);
    return groups;
  });
  // Columns group by group, each in order of first appearance: cells may differ in what they report.
  const columns: string[] = [];
  for (let g = 0; g < 7; g++) {
    const seen = new Set<string>();
    for (const groups of rows) for (const k of groups[g]!.keys()) if (!seen.has(k)) { seen.add(k); columns.push(k); }
  }
  if (rows.length === 0) columns.push("cell", ...r.grid, ...r.zip, "status", "label", "run_ids", "error");
  const line = (fields: string[]) => fields.map(csvField).join(",") + "\n";
  const value = (groups: Map<string, unknown>[], k: string) => groups.find((m) => m.has(k))?.get(k);
  return line(columns) + rows.map((groups) => line(columns.map((k) => cellText(value(groups, k))))).join("");
}

/**
 * phase-diagram.svg and .png of the completed cells: x and y are the first two swept dimensions,
 * the facet the third. Returns the files written, or why none could be.
 */
export async function writePhaseDiagram(r: SweepResults, dir: string, axes?: SweepResults["diagram"]): Promise<{ files: string[]; note?: string }> {
  const d = sweepDiagram(axes ? { ...r, diagram: axes } : r);
  if (!d.spec) return { files: [], note: d.note };
  const svg = await toSvg(d.spec);
  const files = [join(dir, "phase-diagram.svg"), join(dir, "phase-diagram.png")];
  await writeFile(files[0]!, svg);
  await writeFile(files[1]!, toPng(svg));
  return { files };
}

/** Writes cells.csv, cells.json and the phase diagram into `dir`. A diagram that cannot be drawn is a note, not an error. */
export async function exportSweep(store: Store, sweepId: string, dir: string, diagram?: SweepResults["diagram"]): Promise<{ files: string[]; results: SweepResults; notes: string[] }> {
  const results = await sweepResults(store, sweepId);
  if (diagram) results.diagram = diagram; // the spec file's current axes and titles win over the stored ones
  await mkdir(dir, { recursive: true });
  const files = [join(dir, "cells.csv"), join(dir, "cells.json")];
  await writeFile(files[0]!, cellsCsv(results));
  await writeFile(files[1]!, JSON.stringify(resultsJson(results), null, 2) + "\n");
  const notes: string[] = [];
  try {
    const d = await writePhaseDiagram(results, dir);
    files.push(...d.files);
    if (d.note) notes.push(d.note);
  } catch (e) {
    notes.push(`no phase diagram: ${(e as Error).message}`);
  }
  return { files, results, notes };
}
