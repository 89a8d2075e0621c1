// Exports a Python user loads in one line: pd.read_csv("metrics.csv"), pd.read_csv("perf.csv"),
// json.load(open("run.json")).

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EcotoneError } from "../util/errors.ts";
import type { MetricPoint, Store } from "./types.ts";

/** A CSV field, quoted per RFC 4180 only when it holds a comma, a quote or a line break. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

// Empty for null (pandas reads NaN); String(v) is the shortest text that parses back exactly.
const num = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(v));
const line = (fields: string[]) => fields.map(csvField).join(",") + "\n";

/** Long format: one `step,seed,key,value` row per point, in the order given. */
export function metricsCsv(points: MetricPoint[]): string {
  return line(["step", "seed", "key", "value"]) + points.map((p) => line([String(p.step), String(p.seed), p.key, num(p.value)])).join("");
}

/** Wide format: one row per (step, seed), sorted; one column per key, sorted; empty where absent. */
export function wideCsv(points: MetricPoint[]): string {
  const keys = [...new Set(points.map((p) => p.key))].sort();
  const rows = new Map<string, { step: number; seed: number; values: Map<string, number | null> }>();
  for (const p of points) {
    const id = `${p.step}\0${p.seed}`;
    let row = rows.get(id);
    if (row === undefined) rows.set(id, (row = { step: p.step, seed: p.seed, values: new Map() }));
    row.values.set(p.key, p.value);
  }
  const sorted = [...rows.values()].sort((a, b) => a.step - b.step || a.seed - b.seed);
  return line(["step", "seed", ...keys]) + sorted.map((r) => line([String(r.step), String(r.seed), ...keys.map((k) => num(r.values.get(k)))])).join("");
}

function parseOr(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json; // keep a spec that is not JSON as its text rather than lose it
  }
}

/** Write metrics.csv, perf.csv and run.json of a run (id or unique prefix) into `dir`. */
export async function exportRun(store: Store, runId: string, dir: string): Promise<{ files: string[] }> {
  const run = await store.getRun(runId);
  if (run === undefined) throw new EcotoneError("E_NOT_FOUND", `no run ${runId} in ${store.url}`);
  const [points, phases, divergences, lastStep] = await Promise.all([
    store.metrics(run.id),
    store.phases(run.id),
    store.divergences(run.id),
    store.lastStep(run.id),
  ]);
  const { specJson, ...row } = run;
  const meta = { ...row, spec: parseOr(specJson), lastStep: lastStep ?? null, phases, divergences };
  const contents: [string, string][] = [
    ["metrics.csv", metricsCsv(points)],
    ["perf.csv", wideCsv(points)],
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
