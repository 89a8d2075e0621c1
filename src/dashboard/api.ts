// The dashboard's read-only JSON API. Every route reads the store and nothing else; figures are
// the report's vega-lite specs (src/report/figures.ts) compiled to vega here, so the browser only
// needs vega's runtime and draws exactly what `ecotone report` draws.
//
//   GET /api/runs?status=&name=&class=&schedule=&distinguishability=&sweep=   runs, newest first, and filter facets
//   GET /api/runs/:id                  the run, its spec, overview tables, phases, divergences, descriptors of its metrics
//   GET /api/runs/:id/metrics?keys=a,b&from=N   raw metric points and their keys' descriptors
//   GET /api/runs/:id/figures          overview tables and compiled figures at the last checkpoint
//   GET /api/runs/:id/live             Server-Sent Events: a `checkpoint` event per new checkpoint
//   GET /api/sweeps                    sweeps, newest first
//   GET /api/sweeps/:id                cells with classes, runs and (queued sweeps) workers, and the phase diagram
//   GET /api/compare?runs=a,b&keys=k1,k2   runs on the same axes, and the descriptors of every metric they have
//   GET /api/classes                   the class vocabulary and its colours
//
// A metric's title, axis and range come from its descriptor (src/plots/panels.ts), so the
// browser shows any stored metric, a plugin's too, without knowing its key.

import { CLASSES, LABEL_CODES } from "../metrics/classify.ts";
import { CLASS_COLORS, describeKeys, presentKeys, toVega } from "../plots/index.ts";
import { compareDescriptors, compareSpec, defaultCompareKeys, type CompareRun } from "../report/compare.ts";
import { runFigures } from "../report/figures.ts";
import { runClass, runOverview, specFields } from "../report/overview.ts";
import type { RunRow, Store } from "../store/types.ts";
import { sweepDiagram } from "../sweep/diagram.ts";
import { sweepResults } from "../sweep/results.ts";
import { naturalCompare } from "../util/order.ts";
import { HttpError } from "./_http.ts";

const MAX_COMPARE = 12; // runs on one set of axes before the legend stops being readable
const ID = /^[\w.-]{1,128}$/; // store ids are short alphanumerics; anything else cannot exist

/** The run an id or unique prefix names; 404 otherwise. */
export async function findRun(store: Store, id: string): Promise<RunRow> {
  const run = ID.test(id) ? await store.getRun(id) : undefined;
  if (!run) throw new HttpError(404, `no run ${id}`);
  return run;
}

/** The row a runs list shows: identity, spec fields to filter on, class. */
function runItem(r: RunRow) {
  return {
    id: r.id, name: r.name, status: r.status, seeds: r.seeds, steps: r.steps, volatility: r.volatility, envs: r.envs,
    createdAt: r.createdAt, finishedAt: r.finishedAt, sweepId: r.sweepId, class: runClass(r), ...specFields(r.specJson),
  };
}
type RunItem = ReturnType<typeof runItem>;

const FILTERS: Record<string, (r: RunItem, v: string) => boolean> = {
  status: (r, v) => r.status === v,
  name: (r, v) => r.name.toLowerCase().includes(v.toLowerCase()),
  class: (r, v) => (r.class ?? "none") === v,
  schedule: (r, v) => r.schedule === v,
  distinguishability: (r, v) => String(r.distinguishability) === v,
  sweep: (r, v) => r.sweepId === v,
};

export async function listRuns(store: Store, query: URLSearchParams) {
  const all = (await store.listRuns()).map(runItem);
  for (const k of query.keys()) if (!Object.hasOwn(FILTERS, k)) throw new HttpError(400, `unknown filter: ${k} (expected one of ${Object.keys(FILTERS).join(", ")})`);
  const runs = all.filter((r) => [...query].every(([k, v]) => v === "" || FILTERS[k]!(r, v)));
  const distinct = (f: (r: RunItem) => unknown) => [...new Set(all.map(f).filter((v) => v !== null).map(String))].sort(naturalCompare);
  const facets = { status: distinct((r) => r.status), class: distinct((r) => r.class ?? "none"), schedule: distinct((r) => r.schedule), distinguishability: distinct((r) => r.distinguishability) };
  return { runs, facets, total: all.length };
}

export async function getRun(store: Store, id: string) {
  const run = await findRun(store, id);
  const [points, phases, divergences] = await Promise.all([store.metrics(run.id), store.phases(run.id), store.divergences(run.id)]);
  const { specJson, metrics: stored, ...row } = run;
  const metrics = describeKeys(presentKeys(points), stored);
  return { run: { ...row, ...specFields(specJson), spec: JSON.parse(specJson) as unknown }, overview: runOverview(run, points), phases, divergences, metrics };
}

export async function getMetrics(store: Store, id: string, query: URLSearchParams) {
  const run = await findRun(store, id);
  const keys = query.get("keys")?.split(",").filter((k) => k !== "");
  const fromText = query.get("from");
  const from = fromText === null ? undefined : Number(fromText);
  if (from !== undefined && !Number.isInteger(from)) throw new HttpError(400, `from must be an integer step, got ${fromText}`);
  const points = await store.metrics(run.id, { keys, fromStep: from });
  return { runId: run.id, points, metrics: describeKeys(new Set(points.map((p) => p.key)), run.metrics) };
}

export async function getFigures(store: Store, id: string) {
  const run = await findRun(store, id);
  const [points, phases] = await Promise.all([store.metrics(run.id), store.phases(run.id)]);
  const overview = runOverview(run, points);
  const figures = runFigures(points, phases, run.metrics).map((f) => ({ id: f.id, title: f.title, spec: toVega(f.spec) }));
  return { runId: run.id, status: run.status, steps: run.steps, lastStep: overview.step, overview, figures };
}

export async function listSweeps(store: Store) {
  const sweeps = await store.listSweeps();
  return {
    sweeps: await Promise.all(sweeps.map(async (s) => {
      const cells = await store.sweepCells(s.id);
      return { id: s.id, name: s.name, status: s.status, createdAt: s.createdAt, finishedAt: s.finishedAt, cells: cells.length, completed: cells.filter((c) => c.status === "completed").length };
    })),
  };
}

export async function getSweep(store: Store, id: string) {
  if (!ID.test(id) || !(await store.getSweep(id))) throw new HttpError(404, `no sweep ${id}`);
  const results = await sweepResults(store, id);
  const d = sweepDiagram(results);
  return { sweep: results, diagram: { axes: d.axes ?? null, note: d.note ?? null, placements: d.placements, spec: d.spec ? toVega(d.spec) : null } };
}

export async function compare(store: Store, query: URLSearchParams) {
  const ids = [...new Set((query.get("runs") ?? "").split(",").filter((s) => s !== ""))];
  if (ids.length === 0) throw new HttpError(400, "compare: give runs=ID,ID,...");
  if (ids.length > MAX_COMPARE) throw new HttpError(400, `compare: at most ${MAX_COMPARE} runs, got ${ids.length}`);
  const rows = await Promise.all(ids.map((id) => findRun(store, id)));
  const short = rows.map((r) => `${r.name} (${r.id.slice(0, 8)})`);
  const unique = new Set(short).size === short.length;
  const runs: CompareRun[] = await Promise.all(rows.map(async (r, i) => ({ id: r.id, label: unique ? short[i]! : `${r.name} (${r.id})`, points: await store.metrics(r.id), metrics: r.metrics })));
  const metrics = compareDescriptors(runs);
  const available = metrics.map((d) => d.key);
  const asked = query.get("keys")?.split(",").filter((k) => k !== "");
  const keys = asked && asked.length > 0 ? asked : defaultCompareKeys(runs);
  const unknown = keys.find((k) => !available.includes(k));
  if (unknown !== undefined) throw new HttpError(400, `compare: no run has metric ${unknown}`);
  return {
    runs: rows.map((r, i) => ({ id: r.id, name: r.name, status: r.status, label: runs[i]!.label, class: runClass(r) })),
    keys, available, metrics,
    figure: keys.length > 0 ? toVega(compareSpec(runs, keys)) : null,
  };
}

/** What the browser names and colours classes by: the classes scored, every label a run can get, a colour per label. */
export async function classes() {
  return { classes: CLASSES, labels: LABEL_CODES, colors: CLASS_COLORS };
}
