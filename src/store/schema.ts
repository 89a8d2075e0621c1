// Tables of the run store, as queries see them, and their migration (kysely's Migrator over the
// files in migrations/). Column types are the ones SQLite and PostgreSQL both understand (TEXT ids
// and ISO timestamps, INTEGER steps, DOUBLE PRECISION values), except for the state blob, whose
// type is chosen by dialect.

import { Migrator, sql, type Kysely } from "kysely";
import { EcotoneError } from "../util/errors.ts";
import { LATEST_VERSION, MIGRATION_NAMES, migrationProvider, versionOf, type SqlDialect } from "./migrations/index.ts";

/** The newest schema version (the last file in migrations/); a store written by a newer ecotone is refused. */
export const SCHEMA_VERSION = LATEST_VERSION;

export type { SqlDialect };

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
  keep_states: string | null; // which saved states the run keeps (KeepStates); null: "final" (version 6)
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
  run_id: string; // primary key (run_id, step) since version 6: one state per kept checkpoint
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
  worker?: string | null; // version 7: the queue worker that ran it last, `host/pid/name`
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

/**
 * The version a store was written with (meta.schema_version, or the version of a migration it
 * records that this ecotone lacks, if higher); undefined for a database with no ecotone tables yet.
 */
export async function storedVersion(db: Kysely<Database>): Promise<number | undefined> {
  const tables = new Set((await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name));
  if (!tables.has("meta")) return undefined;
  const row = await db.selectFrom("meta").select("value").where("key", "=", "schema_version").executeTakeFirst();
  let version = row === undefined ? undefined : Number(row.value);
  if (tables.has("kysely_migration")) {
    const known = new Set(MIGRATION_NAMES);
    for (const name of await recorded(db)) if (!known.has(name)) version = Math.max(version ?? 0, versionOf(name));
  }
  return version;
}

const recorded = async (db: Kysely<Database>) =>
  (await (db as unknown as Kysely<{ kysely_migration: { name: string } }>).selectFrom("kysely_migration").select("name").execute()).map((r) => r.name);

const newer = (version: number | string) =>
  new EcotoneError("E_STORE", `store schema version ${version} is newer than this ecotone's (${SCHEMA_VERSION}): upgrade ecotone`);

/** Any number, the same in every ecotone: the PostgreSQL advisory lock held while migrating. */
const PG_MIGRATION_LOCK = 0x3c07_0e01;

/**
 * Bring the store to SCHEMA_VERSION, refusing a newer one. One transaction that first takes the
 * database's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two processes
 * opening a fresh store at once apply each migration once, and a killed one leaves no half schema.
 * meta.schema_version, which every ecotone before and after the Migrator reads, stays the version.
 */
export async function migrate(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  if ((await storedVersion(db)) === SCHEMA_VERSION) return; // the usual case: no write lock taken
  await db.connection().execute(async (conn) => {
    if (dialect === "sqlite") await sql`begin immediate`.execute(conn);
    else await sql`begin`.execute(conn).then(() => sql`select pg_advisory_xact_lock(${sql.lit(PG_MIGRATION_LOCK)})`.execute(conn));
    try {
      const stored = await storedVersion(conn);
      if (stored !== undefined && stored > SCHEMA_VERSION) throw newer(stored);
      if (stored !== undefined) await forgetAbove(conn, stored);
      const migrator = new Migrator({ db: conn, provider: migrationProvider(dialect), disableTransactions: true });
      const { error, results } = await migrator.migrateToLatest();
      if (error !== undefined) {
        const missing = /previously executed migration (\S+) is missing/.exec(String((error as Error).message));
        if (missing) throw newer(`${versionOf(missing[1]!)} (migration ${missing[1]})`);
        const failed = results?.find((r) => r.status === "Error")?.migrationName;
        if (failed && !(error instanceof EcotoneError)) (error as Error).message = `migration ${failed}: ${(error as Error).message}`;
        throw error;
      }
      if (stored !== SCHEMA_VERSION)
        await conn.insertInto("meta").values({ key: "schema_version", value: String(SCHEMA_VERSION) })
          .onConflict((oc) => oc.column("key").doUpdateSet({ value: String(SCHEMA_VERSION) })).execute();
      await sql`commit`.execute(conn);
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw e;
    }
  });
}

/**
 * Migrations recorded above the version meta holds are forgotten, so they run again (they are
 * idempotent). meta is the one record every ecotone keeps; this only matters for a store whose
 * meta was set back by hand (as the upgrade tests do to make an old store).
 */
async function forgetAbove(db: Kysely<Database>, version: number): Promise<void> {
  if (!(await db.introspection.getTables({ withInternalKyselyTables: true })).some((t) => t.name === "kysely_migration")) return;
  const above = (await recorded(db)).filter((n) => versionOf(n) > version);
  const raw = db as unknown as Kysely<{ kysely_migration: { name: string } }>;
  if (above.length) await raw.deleteFrom("kysely_migration").where("name", "in", above).execute();
}
