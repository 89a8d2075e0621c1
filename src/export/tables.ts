// Stored runs as tidy tables, one row per observation, concatenable across runs (every table
// starts with run_id): seeds (per step and seed, one column per metric), runs (per step, the
// run-level metrics at seed −1, the class as its name), perf (the performance matrix only),
// runs_meta (one row per run, the sweep cell's parameters as param.<path> columns), phases and
// divergences. Column reference: docs/export.md.
import { LABEL_CODES } from "../metrics/classify.ts";
import { classKeys } from "../metrics/live/classes.ts";
import { perf } from "../metrics/live/perf.ts";
import type { MetricPoint, Phase, RunRow, Store, SweepCellRow } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { finite, inferColumn, type Cell, type Column, type Table } from "./table.ts";

/** Every table, in the order they are written. */
export const TABLES = ["seeds", "runs", "perf", "runs_meta", "phases", "divergences"] as const;
export type TableName = (typeof TABLES)[number];

/** Seed −1 holds the run-level values (MetricPoint). */
const RUN_LEVEL = -1;

// A key of the performance matrix: one of the `perf` metric's own descriptors, placeholders as wildcards.
const perfPatterns = perf.keys.map((d) => new RegExp(`^${d.key.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(env|trained|layer)\}/g, ".+")}$`));
export const isPerfKey = (key: string) => perfPatterns.some((p) => p.test(key));

/** The class name of a stored `class/label` code (its index in LABEL_CODES); null when it is none. */
export function labelName(code: number | null | undefined): string | null {
  return typeof code === "number" && Number.isInteger(code) ? (LABEL_CODES[code] ?? null) : null;
}

/**
 * The environment being trained when the checkpoint at `step` was taken: a checkpoint measures the
 * model after steps [0, step), so it is the env of step − 1 ("mixture" under a mixture schedule);
 * null at step 0 and outside the schedule.
 */
export function trainedEnvAt(phases: readonly Phase[], step: number): string | null {
  const s = step - 1;
  return phases.find((p) => p.start <= s && s < p.end)?.env ?? null;
}

/** One run as read from the store. */
interface RunData {
  run: RunRow;
  points: MetricPoint[];
  phases: Phase[];
  divergences: Awaited<ReturnType<Store["divergences"]>>;
  lastStep: number | null;
  tags: string[];
  cell: SweepCellRow | null; // the sweep cell whose run this is
}

async function readRuns(store: Store, runIds: readonly string[]): Promise<RunData[]> {
  const tags = await store.tags([...runIds]);
  const cells = new Map<string, SweepCellRow[]>(); // per sweep, read once
  const out: RunData[] = [];
  for (const id of runIds) {
    const run = await store.getRun(id);
    if (run === undefined || run.id !== id) throw new EcotoneError("E_NOT_FOUND", `no run ${id} in ${store.url}`);
    let cell: SweepCellRow | null = null;
    if (run.sweepId !== null) {
      if (!cells.has(run.sweepId)) cells.set(run.sweepId, await store.sweepCells(run.sweepId));
      cell = cells.get(run.sweepId)!.find((c) => c.runId === run.id) ?? null;
    }
    const [points, phases, divergences, lastStep] = await Promise.all([store.metrics(id), store.phases(id), store.divergences(id), store.lastStep(id)]);
    out.push({ run, points, phases, divergences, lastStep: lastStep ?? null, tags: tags.get(id) ?? [], cell });
  }
  return out;
}

/** Rows of (step, seed) in order, each a key → value map; only seeds that `keep` accepts. */
function rowsOf(points: MetricPoint[], keep: (seed: number) => boolean) {
  const rows = new Map<string, { step: number; seed: number; values: Map<string, number | null> }>();
  for (const p of points) {
    if (!keep(p.seed)) continue;
    const id = `${p.step}\0${p.seed}`;
    let row = rows.get(id);
    if (row === undefined) rows.set(id, (row = { step: p.step, seed: p.seed, values: new Map() }));
    row.values.set(p.key, p.value);
  }
  return [...rows.values()].sort((a, b) => a.step - b.step || a.seed - b.seed);
}

/**
 * A wide metric table over runs: run_id, step, [seed], trained_env, then one float64 column per
 * key (sorted; keys a run does not write are null in its rows), optionally with extra columns. A
 * row holds a (step, seed) that has at least one of the table's values.
 */
function metricTable(name: TableName, data: RunData[], o: { seeds: boolean; key: (k: string) => boolean; extra?: { name: string; value: (values: Map<string, number | null>) => Cell }[] }): Table {
  const perRun = data.map((d) => ({ d, rows: rowsOf(d.points, (s) => (o.seeds ? s >= 0 : s === RUN_LEVEL)) }));
  const keys = [...new Set(perRun.flatMap(({ rows }) => rows.flatMap((r) => [...r.values.keys()])))].filter(o.key).sort();
  const col = (name: string, type: Column["type"], required = false): Column => ({ name, type, values: [], required });
  const runId = col("run_id", "string", true), step = col("step", "int", true), seed = col("seed", "int", true), env = col("trained_env", "string");
  const extra = (o.extra ?? []).map((e) => ({ ...e, column: col(e.name, "string") }));
  const metricCols = keys.map((k) => col(k, "double"));
  for (const { d, rows } of perRun) {
    for (const r of rows) {
      const extras = extra.map((e) => e.value(r.values));
      if (!keys.some((k) => r.values.has(k)) && extras.every((v) => v === null)) continue; // nothing of this table at that step
      runId.values.push(d.run.id);
      step.values.push(r.step);
      seed.values.push(r.seed);
      env.values.push(trainedEnvAt(d.phases, r.step));
      extra.forEach((e, i) => e.column.values.push(extras[i]!));
      keys.forEach((k, i) => metricCols[i]!.values.push(finite(r.values.get(k))));
    }
  }
  return { name, columns: [runId, step, ...(o.seeds ? [seed] : []), env, ...extra.map((e) => e.column), ...metricCols] };
}

const summaryLabel = (run: RunRow): string | null => {
  const s = run.summary as { classification?: { label?: unknown } | null } | null;
  return typeof s?.classification?.label === "string" ? s.classification.label : null;
};

/** One row per run: what it is, how it ended, where it sits in a sweep, and the cell's parameters. */
function metaTable(data: RunData[]): Table {
  // name, type, value, never null
  const fields: [string, Column["type"], (d: RunData) => Cell, boolean?][] = [
    ["run_id", "string", (d) => d.run.id, true],
    ["name", "string", (d) => d.run.name, true],
    ["status", "string", (d) => d.run.status, true],
    ["class", "string", (d) => summaryLabel(d.run)], // at the last checkpoint; null until classified
    ["seeds", "int", (d) => d.run.seeds, true],
    ["steps", "int", (d) => d.run.steps, true], // planned
    ["last_step", "int", (d) => d.lastStep], // the last checkpoint written
    ["volatility", "double", (d) => finite(d.run.volatility)],
    ["envs", "string", (d) => d.run.envs.join(" ")],
    ["world_kind", "string", (d) => specAt(d.run, "world", "kind")],
    ["model_kind", "string", (d) => specAt(d.run, "model", "kind")],
    ["schedule_kind", "string", (d) => specAt(d.run, "schedule", "kind")],
    ["spec_hash", "string", (d) => d.run.specHash, true],
    ["sweep_id", "string", (d) => d.run.sweepId],
    ["cell", "int", (d) => (d.cell === null ? null : d.cell.idx + 1)], // numbered from 1, as the sweep's CLI table
    ["tags", "string", (d) => d.tags.join(" ")],
    ["diverged_seeds", "int", (d) => d.divergences.length, true],
    ["created_at", "string", (d) => d.run.createdAt, true],
    ["finished_at", "string", (d) => d.run.finishedAt],
    ["spec", "string", (d) => d.run.specJson, true],
  ];
  const columns: Column[] = fields.map(([name, type, f, required]) => ({ name, type, values: data.map(f), required: required ?? false }));
  const paths: string[] = [];
  for (const d of data) for (const p of Object.keys(d.cell?.params ?? {})) if (!paths.includes(p)) paths.push(p);
  for (const p of paths) columns.push(inferColumn(`param.${p}`, data.map((d) => (d.cell && p in d.cell.params ? d.cell.params[p] : null))));
  return { name: "runs_meta", columns };
}

function specAt(run: RunRow, ...path: string[]): string | null {
  let v: unknown;
  try {
    v = JSON.parse(run.specJson);
  } catch {
    return null; // a spec that is not JSON (an ingested run may keep text)
  }
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === "string" ? v : null;
}

function listTable(name: TableName, data: RunData[], cols: [string, Column["type"]][], rows: (d: RunData) => Cell[][]): Table {
  const columns: Column[] = [{ name: "run_id", type: "string", values: [], required: true }, ...cols.map(([n, type]) => ({ name: n, type, values: [] as Cell[], required: true }))];
  for (const d of data) for (const r of rows(d)) [d.run.id, ...r].forEach((v, i) => columns[i]!.values.push(v));
  return { name, columns };
}

/** The tables of the given runs (full ids, in the order given: rows follow it). */
export async function buildTables(store: Store, runIds: readonly string[]): Promise<Table[]> {
  const data = await readRuns(store, runIds);
  return [
    metricTable("seeds", data, { seeds: true, key: () => true }),
    metricTable("runs", data, {
      seeds: false,
      key: (k) => k !== classKeys.label, // replaced by `class`, its name
      extra: [{ name: "class", value: (v) => labelName(v.get(classKeys.label)) }],
    }),
    metricTable("perf", data, { seeds: true, key: isPerfKey }),
    metaTable(data),
    listTable("phases", data, [["start", "int"], ["end", "int"], ["env", "string"]], (d) => d.phases.map((p) => [p.start, p.end, p.env])),
    listTable("divergences", data, [["seed", "int"], ["step", "int"], ["env", "string"], ["what", "string"]], (d) => d.divergences.map((x) => [x.seed, x.step, x.env, x.what])),
  ];
}
