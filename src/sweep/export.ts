// A sweep's results, one row per cell, read back from the store: params, class label, soft
// scores, confidence intervals, headline metrics and run ids. Written as cells.csv (params as
// columns: pd.read_csv) and cells.json, plus the phase diagram when the sweep has two or three
// swept dimensions.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { toPng, toSvg } from "../plots/index.ts";
import { csvField } from "../store/export.ts";
import type { Store, SweepCellStatus, SweepStatus } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { classOf } from "./_summary.ts";
import { sweepDiagram } from "./diagram.ts";
import { canonicalJson } from "./paths.ts";

interface Stat { mean: number | null; sd: number | null; n: number }

export interface CellResult {
  index: number; // position in the sweep
  key: string; // canonical JSON of params
  params: Record<string, unknown>; // dotted path → value
  status: SweepCellStatus;
  label: string | null; // class at the run's last checkpoint; "unresolved" when the run has none; null until completed
  scores: Record<string, number>; // soft score per class (mean over seeds)
  ci: Record<string, unknown>; // bootstrap interval per class, e.g. { "conditional-policy": { lo, hi } }
  performance: Record<string, Stat>; // final greedy accuracy per environment, over seeds
  headline: Record<string, Stat>; // the run's headline metrics at its last checkpoint, when it reports them
  volatility: number | null; // switches per step of the cell's schedule
  runIds: string[]; // the run that completed the cell (or the one to resume)
  error: string | null; // why the cell failed
}

export interface SweepResults {
  sweepId: string;
  name: string;
  status: SweepStatus;
  grid: string[]; // grid paths
  zip: string[]; // zipped paths
  cells: CellResult[];
  completed: number;
  failed: number;
  diagram?: { x: string; y: string; facet?: string; xTitle?: string; yTitle?: string; facetTitle?: string }; // axes chosen by the sweep spec
}

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Every cell of a stored sweep, with its run's outcome. */
export async function sweepResults(store: Store, sweepId: string): Promise<SweepResults> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) throw new EcotoneError("E_NOT_FOUND", `no sweep ${sweepId} in ${store.url}`);
  const def = JSON.parse(sweep.specJson) as { grid?: string[]; zip?: string[]; diagram?: SweepResults["diagram"] };
  const cells: CellResult[] = [];
  for (const c of await store.sweepCells(sweepId)) {
    const run = c.runId === null ? undefined : await store.getRun(c.runId);
    const s: Record<string, any> = c.status === "completed" && isObj(run?.summary) ? run.summary : {};
    const cls = classOf(s);
    cells.push({
      index: c.idx, key: c.key, params: c.params, status: c.status,
      label: c.status === "completed" ? cls.label : null,
      scores: cls.scores,
      ci: cls.ci,
      performance: isObj(s.performance) ? s.performance : {},
      headline: isObj(s.headline) ? s.headline : {},
      volatility: typeof s.volatility === "number" ? s.volatility : run?.volatility ?? null,
      runIds: c.runId === null ? [] : [c.runId],
      error: c.error,
    });
  }
  const count = (st: SweepCellStatus) => cells.filter((c) => c.status === st).length;
  return { sweepId, name: sweep.name, status: sweep.status, grid: def.grid ?? [], zip: def.zip ?? [], cells, completed: count("completed"), failed: count("failed"), diagram: def.diagram };
}

/** The `--json` object: `{sweepId, cells: [{params, label, scores, ci, runIds, ...}], completed, failed}`. */
export function resultsJson(r: SweepResults): object {
  return { sweepId: r.sweepId, name: r.name, status: r.status, grid: r.grid, zip: r.zip, completed: r.completed, failed: r.failed, cells: r.cells };
}

// Empty for missing and non-finite values (pandas reads NaN); objects as canonical JSON.
function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  return canonicalJson(v);
}

/** Nested objects as dotted columns: { a: { lo: 1 } } → { "ci.a.lo": 1 }. */
function flatten(prefix: string, v: unknown, out: Map<string, unknown>, skip?: (key: string) => boolean): void {
  if (isObj(v)) for (const [k, x] of Object.entries(v)) flatten(`${prefix}.${k}`, x, out, skip);
  else if (!skip?.(prefix)) out.set(prefix, v);
}

/**
 * One row per cell: cell (its index), the params (one column each), status, label, score.<class>,
 * ci.<class>.lo/hi, acc.<env>.mean/sd/n, volatility, headline.<metric>.mean/sd, run_ids, error.
 */
export function cellsCsv(r: SweepResults): string {
  const rows = r.cells.map((c) => {
    const groups = [new Map<string, unknown>([["cell", c.index]]), new Map(), new Map(), new Map(), new Map(), new Map(), new Map()];
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
 * The dimensions a phase diagram can show: each grid path, and the zipped lists as one, named by
 * the first zipped path whose values tell the zip positions apart (else all paths joined by " + ").
 */
export function diagramAxes(r: Pick<SweepResults, "grid" | "zip" | "cells">): { dims: string[]; value: (c: CellResult, dim: string) => number | string } {
  const distinct = (f: (c: CellResult) => string) => new Set(r.cells.map(f)).size;
  const positions = distinct((c) => canonicalJson(r.zip.map((q) => c.params[q])));
  const named = r.zip.find((p) => distinct((c) => canonicalJson(c.params[p])) === positions);
  const zipDim = named ?? (r.zip.length ? r.zip.join(" + ") : undefined);
  const dims = [...r.grid, ...(zipDim === undefined ? [] : [zipDim])];
  const value = (c: CellResult, dim: string): number | string => {
    const v = dim in c.params ? c.params[dim] : r.zip.map((q) => cellText(c.params[q])).join(" / ");
    return typeof v === "number" ? v : cellText(v);
  };
  return { dims, value };
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
