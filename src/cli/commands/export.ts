// `ecotone export <id|sweep-id|tag>... -o DIR [--format parquet|csv|jsonl] [--states]`: stored
// runs as tidy tables a pandas or polars user loads in one line (docs/export.md).
// `ecotone export <runId> --probe-log DIR`: one stored run in the probe-log format
// (docs/probe-log.md), by training it again bit for bit; `ecotone ingest DIR/manifest.json` reads it back.
import { join } from "node:path";
import { FORMATS, type Format } from "../../export/formats.ts";
import { exportRuns, type ExportResult } from "../../export/write.ts";
import { exportProbeLog } from "../../ingest/index.ts";
import { MIN_PREFIX, openStore, type Store } from "../../store/index.ts";
import { EcotoneError, nearest } from "../../util/errors.ts";
import { defaultReporter } from "../reporter.ts";
import { readingStore } from "./_read.ts";
import { LATEST, resolveRun, resolveRunId } from "./_runs.ts";

interface Opts { store: string; out?: string; format?: string; states?: boolean; probeLog?: string; gzip?: boolean; json?: boolean }

/** The word before a tag that forces reading an argument as a tag (`tag:latest`). */
const TAG = "tag:";

export default async function (ids: string[], o: Opts): Promise<void> {
  if (o.probeLog !== undefined) return probeLog(ids, o);
  if (o.out === undefined) throw new EcotoneError("E_ARGS", "export: -o DIR is required (or --probe-log DIR for one run as a probe log)");
  const format = (o.format ?? "parquet") as Format;
  if (!FORMATS.includes(format)) {
    const near = nearest(String(o.format), FORMATS);
    throw new EcotoneError("E_ARGS", `--format must be one of ${FORMATS.join(", ")}, got ${o.format}${near ? ` (did you mean ${near}?)` : ""}`);
  }
  const store = await openStore(o.store, { readonly: true });
  try {
    const { runIds, notes } = await readingStore(store, () => resolveTargets(store, ids));
    const r = await readingStore(store, () => exportRuns(store, runIds, o.out!, { format, states: o.states }));
    r.notes.unshift(...notes);
    if (o.json) console.log(JSON.stringify({ ...r, files: r.files.map((f) => join(r.dir, f)) }));
    else console.log(summary(r));
    if (!o.json) for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
  } finally {
    await store.close();
  }
}

/**
 * The runs the arguments name, in order, each once: a run (full id, unique prefix, `latest`), a
 * sweep (its cells' runs in cell order) or a tag (its runs, oldest first); `tag:NAME` is always a tag.
 */
export async function resolveTargets(store: Store, args: string[]): Promise<{ runIds: string[]; notes: string[] }> {
  const runIds: string[] = [], notes: string[] = [];
  const add = (id: string) => { if (!runIds.includes(id)) runIds.push(id); };
  const tags = await store.tags();
  const tagged = (t: string) => [...tags].filter(([, ts]) => ts.includes(t)).map(([id]) => id);
  const sweepIds = (await store.listSweeps()).map((s) => s.id);
  for (const arg of args) {
    const asTag = arg.startsWith(TAG) ? arg.slice(TAG.length) : arg;
    const byTag = tagged(asTag);
    if (arg.startsWith(TAG)) {
      if (!byTag.length) throw notFound(store, arg, tags);
      for (const id of await oldestFirst(store, byTag)) add(id);
      continue;
    }
    const sweeps = sweepIds.filter((s) => s === arg || (arg.length >= MIN_PREFIX && s.startsWith(arg)));
    const sweep = sweeps.includes(arg) ? arg : sweeps.length === 1 ? sweeps[0] : undefined;
    if (sweep === undefined && sweeps.length > 1) throw new EcotoneError("E_ARGS", `sweep id prefix ${arg} is ambiguous: ${sweeps.slice(0, 3).join(", ")}`);
    const run = arg === LATEST ? await resolveRun(store, arg) : await store.getRun(arg);
    const kinds = [run && `run ${run.id}`, sweep && `sweep ${sweep}`, byTag.length && `tag ${arg}`].filter(Boolean);
    if (kinds.length > 1) throw new EcotoneError("E_ARGS", `${arg} names both ${kinds.join(" and ")}: give the full id, or ${TAG}${arg} for the tag`);
    if (run) add(run.id);
    else if (sweep) {
      for (const c of await store.sweepCells(sweep)) {
        if (c.runId === null) notes.push(`sweep ${sweep}: cell ${c.idx + 1} has no run yet (${c.status}): not exported`);
        else add(c.runId);
      }
    } else if (byTag.length) for (const id of await oldestFirst(store, byTag)) add(id);
    else throw notFound(store, arg, tags);
  }
  if (runIds.length === 0) throw new EcotoneError("E_NOT_FOUND", `nothing to export: ${args.join(" ")} name no stored run`);
  for (const id of runIds) {
    const run = (await store.getRun(id))!;
    if (run.status === "running" || run.status === "stale" || run.status === "interrupted") notes.push(`run ${id} is ${run.status}: its tables stop at its last checkpoint`);
  }
  return { runIds, notes };
}

async function oldestFirst(store: Store, ids: string[]): Promise<string[]> {
  const rows = await Promise.all(ids.map(async (id) => (await store.getRun(id))!));
  return rows.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1)).map((r) => r.id);
}

function notFound(store: Store, arg: string, tags: Map<string, string[]>): EcotoneError {
  const near = nearest(arg.replace(TAG, ""), [...new Set([...tags.values()].flat())]);
  return new EcotoneError("E_NOT_FOUND", `no run, sweep or tag ${arg} in ${store.url}${near ? ` (did you mean tag ${near}?)` : ""}`);
}

function summary(r: ExportResult): string {
  const w = Math.max(...r.tables.map((t) => t.file.length));
  const lines = [`exported ${r.runIds.length} run(s) as ${r.format} to ${r.dir}`];
  for (const t of r.tables) lines.push(`  ${t.file.padEnd(w)}  ${String(t.rows).padStart(7)} rows × ${t.columns} columns`);
  const states = r.files.filter((f) => f.startsWith("states"));
  if (states.length) lines.push(`  states/  ${states.length} safetensors file(s)`);
  const read = r.format === "parquet" ? "read_parquet" : r.format === "csv" ? "read_csv" : "read_json";
  lines.push(`load with: pd.${read}("${join(r.dir, `seeds.${r.format}`)}"${r.format === "jsonl" ? ", lines=True" : ""})`);
  return lines.join("\n");
}

async function probeLog(ids: string[], o: Opts): Promise<void> {
  if (ids.length !== 1) throw new EcotoneError("E_ARGS", `--probe-log exports one run, got ${ids.length}: ${ids.join(" ")}`);
  if (o.out !== undefined) throw new EcotoneError("E_ARGS", "--probe-log DIR and -o DIR cannot be combined: run export twice");
  const store = await openStore(o.store);
  const reporter = defaultReporter();
  let started = false;
  try {
    const runId = await resolveRunId(store, ids[0]!);
    const r = await exportProbeLog(runId, {
      store, dir: o.probeLog!, gzip: o.gzip,
      onProgress: (step, total) => {
        if (!started) { reporter.start(`export ${runId}`, total); started = true; }
        reporter.update(step);
      },
    });
    reporter.stop();
    if (o.json) console.log(JSON.stringify(r));
    else console.log(`run ${r.runId}: ${r.checkpoints} checkpoints, ${r.lines} records\n  ${r.manifest}\n  ${r.records}\nread it back with: ecotone ingest ${r.manifest}`);
  } finally {
    reporter.stop();
    await store.close();
  }
}
