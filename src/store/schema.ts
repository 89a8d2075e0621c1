// Tables of the run store and their migration. Column types are the ones SQLite and PostgreSQL
// both understand (TEXT ids and ISO timestamps, INTEGER steps, DOUBLE PRECISION values), except
// for the state blob, whose type is chosen by dialect.

import type { ColumnDefinitionBuilder, Kysely } from "kysely";
import { EcotoneError } from "../util/errors.ts";
import { transaction } from "./_tx.ts";

/** Bump when a table changes; a store written by a newer ecotone is refused. */
export const SCHEMA_VERSION = 5; // 2: sweeps and sweep_cells; 3: runs.metrics_json; 4: runs.owner, runs.heartbeat_at; 5: run_tags, run_notes

export type SqlDialect = "sqlite" | "postgres";

export interface RunsTable {
  id: string;
  name: string;
  spec_json: string;
  spec_hash: string;
  status: string;
  seeds: number;
  steps: number;
  volatility: number;
  envs_json: string; // JSON array of environment names
  created_at: string;
  finished_at: string | null;
  summary_json: string | null;
  sweep_id: string | null;
  last_step: number | null; // highest checkpoint written, so lastStep needs no scan
  metrics_json: string; // JSON array of the run's metric descriptors; "[]" for runs stored before version 3
  owner: string | null; // `host/pid/startedAt` of the process training it; null when none (see liveness.ts)
  heartbeat_at: string | null; // ISO 8601, refreshed by the owner
}

export interface MetricsTable {
  run_id: string;
  step: number;
  seed: number;
  key: string;
  value: number | null;
}

export interface DivergencesTable {
  run_id: string;
  seed: number;
  step: number;
  env: string;
  what: string;
}

export interface PhasesTable {
  run_id: string;
  idx: number; // position in the schedule
  start_step: number; // "start"/"end" would need quoting in SQL
  end_step: number;
  env: string;
}

export interface RunStateTable {
  run_id: string;
  step: number;
  state: Uint8Array;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface SweepsTable {
  id: string;
  name: string;
  spec_json: string; // the expanded sweep: name, paths, every cell's key and spec
  hash: string;
  status: string;
  created_at: string;
  finished_at: string | null;
  owner: string | null; // `host/pid/startedAt` of the process running it
  heartbeat_at: string | null;
}

export interface SweepCellsTable {
  sweep_id: string;
  cell_key: string; // canonical JSON of params
  idx: number; // position in the expansion
  params_json: string;
  spec_json: string;
  run_id: string | null;
  status: string;
  error: string | null;
  updated_at: string;
}

export interface RunTagsTable {
  run_id: string;
  tag: string;
}

export interface RunNotesTable {
  run_id: string;
  idx: number; // 1, 2, ... per run, in the order written
  at: string; // ISO 8601
  body: string;
}

export interface Database {
  runs: RunsTable;
  metrics: MetricsTable;
  divergences: DivergencesTable;
  phases: PhasesTable;
  run_state: RunStateTable;
  meta: MetaTable;
  sweeps: SweepsTable;
  sweep_cells: SweepCellsTable;
  run_tags: RunTagsTable;
  run_notes: RunNotesTable;
}

// Version 3's column, in a fresh table and added to an old one alike; the default fills old rows.
const metricsJson = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo("[]");

/** The version a store was written with; undefined for a file with no ecotone tables yet. */
export async function storedVersion(db: Kysely<Database>): Promise<number | undefined> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === "meta")) return undefined;
  const row = await db.selectFrom("meta").select("value").where("key", "=", "schema_version").executeTakeFirst();
  return row === undefined ? undefined : Number(row.value);
}

/** Create missing tables and indexes, record the schema version, refuse newer stores. */
export async function migrate(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  // One transaction, so two processes opening a fresh file at once do not interleave.
  await transaction(db, async (tx) => {
    const s = tx.schema;
    const runRef = "runs.id";
    await s.createTable("meta").ifNotExists()
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("value", "text", (c) => c.notNull())
      .execute();
    await s.createTable("runs").ifNotExists()
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("spec_json", "text", (c) => c.notNull())
      .addColumn("spec_hash", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("seeds", "integer", (c) => c.notNull())
      .addColumn("steps", "integer", (c) => c.notNull())
      .addColumn("volatility", "double precision", (c) => c.notNull())
      .addColumn("envs_json", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("finished_at", "text")
      .addColumn("summary_json", "text")
      .addColumn("sweep_id", "text")
      .addColumn("last_step", "integer")
      .addColumn("metrics_json", "text", metricsJson)
      .addColumn("owner", "text")
      .addColumn("heartbeat_at", "text")
      .execute();
    // Key order (step, key, seed) matches the read order, so metric reads walk the index.
    await s.createTable("metrics").ifNotExists()
      .addColumn("run_id", "text", (c) => c.notNull().references(runRef).onDelete("cascade"))
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("seed", "integer", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("value", "double precision")
      .addPrimaryKeyConstraint("metrics_pk", ["run_id", "step", "key", "seed"])
      .execute();
    await s.createTable("divergences").ifNotExists()
      .addColumn("run_id", "text", (c) => c.notNull().references(runRef).onDelete("cascade"))
      .addColumn("seed", "integer", (c) => c.notNull())
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("what", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("divergences_pk", ["run_id", "seed"])
      .execute();
    await s.createTable("phases").ifNotExists()
      .addColumn("run_id", "text", (c) => c.notNull().references(runRef).onDelete("cascade"))
      .addColumn("idx", "integer", (c) => c.notNull())
      .addColumn("start_step", "integer", (c) => c.notNull())
      .addColumn("end_step", "integer", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("phases_pk", ["run_id", "idx"])
      .execute();
    await s.createTable("run_state").ifNotExists()
      .addColumn("run_id", "text", (c) => c.primaryKey().references(runRef).onDelete("cascade"))
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("state", dialect === "postgres" ? "bytea" : "blob", (c) => c.notNull())
      .execute();
    // Version 2 (additive): sweeps and their cells.
    await s.createTable("sweeps").ifNotExists()
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("spec_json", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("finished_at", "text")
      .addColumn("owner", "text")
      .addColumn("heartbeat_at", "text")
      .execute();
    await s.createTable("sweep_cells").ifNotExists()
      .addColumn("sweep_id", "text", (c) => c.notNull().references("sweeps.id").onDelete("cascade"))
      .addColumn("cell_key", "text", (c) => c.notNull())
      .addColumn("idx", "integer", (c) => c.notNull())
      .addColumn("params_json", "text", (c) => c.notNull())
      .addColumn("spec_json", "text", (c) => c.notNull())
      .addColumn("run_id", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("error", "text")
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("sweep_cells_pk", ["sweep_id", "cell_key"])
      .execute();
    // Version 5 (additive): a run's tags and timestamped notes, gone with the run.
    await s.createTable("run_tags").ifNotExists()
      .addColumn("run_id", "text", (c) => c.notNull().references(runRef).onDelete("cascade"))
      .addColumn("tag", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("run_tags_pk", ["run_id", "tag"])
      .execute();
    await s.createTable("run_notes").ifNotExists()
      .addColumn("run_id", "text", (c) => c.notNull().references(runRef).onDelete("cascade"))
      .addColumn("idx", "integer", (c) => c.notNull())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("run_notes_pk", ["run_id", "idx"])
      .execute();
    // listRuns sorts by creation and filters by sweep, name or status; one key's curve is read
    // on its own by the dashboard.
    const indexes: [string, "runs" | "metrics" | "sweeps" | "sweep_cells" | "run_tags", string[]][] = [
      ["runs_created_idx", "runs", ["created_at"]],
      ["runs_sweep_idx", "runs", ["sweep_id", "created_at"]],
      ["runs_name_idx", "runs", ["name", "created_at"]],
      ["runs_status_idx", "runs", ["status", "created_at"]],
      ["metrics_key_idx", "metrics", ["run_id", "key", "step"]],
      ["sweeps_hash_idx", "sweeps", ["hash", "created_at"]],
      ["sweep_cells_idx", "sweep_cells", ["sweep_id", "idx"]],
      ["run_tags_tag_idx", "run_tags", ["tag", "run_id"]],
    ];
    for (const [name, table, columns] of indexes) {
      await s.createIndex(name).ifNotExists().on(table).columns(columns).execute();
    }
    const row = await tx.selectFrom("meta").select("value").where("key", "=", "schema_version").executeTakeFirst();
    if (row === undefined) {
      await tx.insertInto("meta").values({ key: "schema_version", value: String(SCHEMA_VERSION) }).execute();
    } else if (Number(row.value) > SCHEMA_VERSION) {
      throw new EcotoneError("E_STORE", `store schema version ${row.value} is newer than this ecotone's (${SCHEMA_VERSION}): upgrade ecotone`);
    } else if (Number(row.value) < SCHEMA_VERSION) {
      // Tables added since (version 2) were created above; columns added since are added here.
      const has = new Set((await tx.introspection.getTables()).find((t) => t.name === "runs")!.columns.map((c) => c.name));
      if (!has.has("metrics_json")) await s.alterTable("runs").addColumn("metrics_json", "text", metricsJson).execute();
      // 4: runs left "running" by an older ecotone have no owner: they read as stale (resumable).
      if (!has.has("owner")) await s.alterTable("runs").addColumn("owner", "text").execute();
      if (!has.has("heartbeat_at")) await s.alterTable("runs").addColumn("heartbeat_at", "text").execute();
      await tx.updateTable("meta").set({ value: String(SCHEMA_VERSION) }).where("key", "=", "schema_version").execute();
    }
  });
}
