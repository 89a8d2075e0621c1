// An export folder: the tables of any runs, one file each in one format, their safetensors states
// with --states, and export.json, the manifest that lets the next export into the folder replace
// exactly this one's files. Column reference: docs/export.md.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { encode, FORMATS, type Format } from "./formats.ts";
import { writeStates } from "./states.ts";
import { rowCount } from "./table.ts";
import { buildTables, TABLES } from "./tables.ts";

/** What an export folder holds, written last: the next export into the folder replaces exactly these files. */
export const MANIFEST = "export.json";

export interface ExportResult {
  dir: string;
  format: Format;
  runIds: string[];
  tables: { name: string; file: string; rows: number; columns: number }[];
  files: string[]; // every file written, relative to dir, the manifest last
  notes: string[]; // what was skipped or replaced, for the user
}

/**
 * Write the tables of `runIds` (full ids; rows follow their order) into `dir`, one file per table,
 * plus each run's safetensors state with `states`. An earlier export in `dir` is replaced: the
 * files its manifest lists go, other files stay. The same store gives byte-identical files.
 */
export async function exportRuns(store: Store, runIds: readonly string[], dir: string, o: { format: Format; states?: boolean }): Promise<ExportResult> {
  if (!FORMATS.includes(o.format)) throw new EcotoneError("E_ARGS", `--format must be one of ${FORMATS.join(", ")}, got ${o.format}`);
  if (runIds.length === 0) throw new EcotoneError("E_ARGS", "nothing to export: no runs given");
  const tables = await buildTables(store, runIds); // everything is read before the folder is touched
  const notes: string[] = [];
  await mkdir(dir, { recursive: true });
  const earlier = await earlierFiles(dir, o.format, notes);
  const files: string[] = [];
  const out: ExportResult["tables"] = [];
  for (const t of tables) {
    const file = `${t.name}.${o.format}`;
    await writeFile(join(dir, file), encode(t, o.format));
    files.push(file);
    out.push({ name: t.name, file, rows: rowCount(t), columns: t.columns.length });
  }
  if (o.states) {
    const s = await writeStates(store, runIds, dir);
    files.push(...s.files);
    notes.push(...s.notes);
  }
  const stale = earlier.filter((f) => !files.includes(f));
  for (const f of stale) await rm(join(dir, f), { force: true });
  if (earlier.length) notes.push(`${dir} held an earlier export: its ${earlier.length} file(s) were replaced${stale.length ? ` (${stale.length} no longer written, removed)` : ""}`);
  const manifest = { format: o.format, runs: runIds, tables: out, states: files.filter((f) => f.startsWith("states")) };
  await writeFile(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  files.push(MANIFEST);
  return { dir, format: o.format, runIds: [...runIds], tables: out, files, notes };
}

/**
 * The files of an earlier export in `dir`: those its manifest lists, or (a folder without one, such
 * as a run's own export folder) the table files this export overwrites. Only names an export
 * writes are ever returned, so nothing else in the folder is touched.
 */
async function earlierFiles(dir: string, format: Format, notes: string[]): Promise<string[]> {
  const ours = (f: string) => /^states\/[\w.:+-]+\.safetensors$/.test(f) || TABLES.some((t) => FORMATS.some((x) => f === `${t}.${x}`));
  const path = join(dir, MANIFEST);
  if (existsSync(path)) {
    try {
      const m = JSON.parse(await readFile(path, "utf8")) as { tables?: { file?: unknown }[]; states?: unknown[] };
      const listed = [...(m.tables ?? []).map((t) => t.file), ...(m.states ?? [])].filter((f): f is string => typeof f === "string" && ours(f));
      return listed.filter((f) => existsSync(join(dir, f)));
    } catch {
      notes.push(`${path} could not be read: written anew`);
    }
  }
  return TABLES.map((t) => `${t}.${format}`).filter((f) => existsSync(join(dir, f)));
}
