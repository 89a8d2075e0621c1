// A sweep's results, one row per cell, read back from the store: params, class label, soft
// scores, confidence intervals, headline metrics and run ids; and the dimensions a phase diagram
// of them can show. What exports, the report and the dashboard all read.
import type { Store, SweepCellStatus, SweepStatus } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { classOf } from "./_summary.ts";
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
  worker?: string | null; // the queue worker that ran it last, `host/pid/name`; null for a local sweep
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
      worker: c.worker,
    });
  }
  const count = (st: SweepCellStatus) => cells.filter((c) => c.status === st).length;
  return { sweepId, name: sweep.name, status: sweep.status, grid: def.grid ?? [], zip: def.zip ?? [], cells, completed: count("completed"), failed: count("failed"), diagram: def.diagram };
}

/** The `--json` object: `{sweepId, cells: [{params, label, scores, ci, runIds, ...}], completed, failed}`. */
export function resultsJson(r: SweepResults): object {
  // `cell` numbers the cells from 1 as cells.csv, runs_meta and the CLI do; `index` is the 0-based position in the grid
  const cells = r.cells.map((c) => ({ cell: c.index + 1, ...c }));
  return { sweepId: r.sweepId, name: r.name, status: r.status, grid: r.grid, zip: r.zip, completed: r.completed, failed: r.failed, cells };
}

// Empty for missing and non-finite values (pandas reads NaN); objects as canonical JSON.
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  return canonicalJson(v);
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
