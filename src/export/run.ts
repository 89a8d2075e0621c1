// The files `ecotone run` (and `ingest`) leave in the run's export folder: the tidy tables as CSV
// (seeds.csv, runs.csv, perf.csv, runs_meta.csv, phases.csv, divergences.csv: see docs/export.md),
// metrics.csv (every stored value, long: step, seed, key, value) and run.json (the run with its spec).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MetricPoint, Store } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { csvField, toCsv } from "./formats.ts";
import { buildTables } from "./tables.ts";

// Empty for null (pandas reads NaN); String(v) is the shortest text that parses back exactly.
const num = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(v));
const line = (fields: string[]) => fields.map(csvField).join(",") + "\n";

/** Long format: one `step,seed,key,value` row per point, in the order given (seed −1: run-level). */
export function metricsCsv(points: MetricPoint[]): string {
  return line(["step", "seed", "key", "value"]) + points.map((p) => line([String(p.step), String(p.seed), p.key, num(p.value)])).join("");
}

function parseOr(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json; // keep a spec that is not JSON as its text rather than lose it
  }
}

/** Write a run's (id or unique prefix) tables as CSV, metrics.csv and run.json into `dir`; returns the paths. */
export async function exportRun(store: Store, runId: string, dir: string): Promise<{ files: string[] }> {
  const run = await store.getRun(runId);
  if (run === undefined) throw new EcotoneError("E_NOT_FOUND", `no run ${runId} in ${store.url}`);
  const [tables, points, phases, divergences, lastStep] = await Promise.all([
    buildTables(store, [run.id]),
    store.metrics(run.id),
    store.phases(run.id),
    store.divergences(run.id),
    store.lastStep(run.id),
  ]);
  const { specJson, ...row } = run;
  const meta = { ...row, spec: parseOr(specJson), lastStep: lastStep ?? null, phases, divergences };
  const contents: [string, string][] = [
    ...tables.map((t): [string, string] => [`${t.name}.csv`, toCsv(t)]),
    ["metrics.csv", metricsCsv(points)],
    ["run.json", JSON.stringify(meta, null, 2) + "\n"],
  ];
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [name, text] of contents) {
    const path = join(dir, name);
    await writeFile(path, text);
    files.push(path);
  }
  return { files };
}
