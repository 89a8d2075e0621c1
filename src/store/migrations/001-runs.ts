// Schema version 1: runs, their metrics, divergences, schedule phases and saved state.
import type { Kysely } from "kysely";
import { blob, createIndexes, notNull, text, type SqlDialect } from "./_kit.ts";

export async function up(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  const s = db.schema, t = text(dialect), runRef = "runs.id";
  await s.createTable("meta").ifNotExists()
    .addColumn("key", t, (c) => c.primaryKey())
    .addColumn("value", t, notNull)
    .execute();
  await s.createTable("runs").ifNotExists()
    .addColumn("id", t, (c) => c.primaryKey())
    .addColumn("name", t, notNull)
    .addColumn("spec_json", t, notNull)
    .addColumn("spec_hash", t, notNull)
    .addColumn("status", t, notNull)
    .addColumn("seeds", "integer", notNull)
    .addColumn("steps", "integer", notNull)
    .addColumn("volatility", "double precision", notNull)
    .addColumn("envs_json", t, notNull)
    .addColumn("created_at", t, notNull)
    .addColumn("finished_at", t)
    .addColumn("summary_json", t)
    .addColumn("sweep_id", t)
    .addColumn("last_step", "integer")
    .execute();
  // Key order (step, key, seed) matches the read order, so metric reads walk the index.
  await s.createTable("metrics").ifNotExists()
    .addColumn("run_id", t, (c) => c.notNull().references(runRef).onDelete("cascade"))
    .addColumn("step", "integer", notNull)
    .addColumn("seed", "integer", notNull)
    .addColumn("key", t, notNull)
    .addColumn("value", "double precision") // null: NaN, ±Infinity or diverged
    .addPrimaryKeyConstraint("metrics_pk", ["run_id", "step", "key", "seed"])
    .execute();
  await s.createTable("divergences").ifNotExists()
    .addColumn("run_id", t, (c) => c.notNull().references(runRef).onDelete("cascade"))
    .addColumn("seed", "integer", notNull)
    .addColumn("step", "integer", notNull)
    .addColumn("env", t, notNull)
    .addColumn("what", t, notNull)
    .addPrimaryKeyConstraint("divergences_pk", ["run_id", "seed"])
    .execute();
  await s.createTable("phases").ifNotExists()
    .addColumn("run_id", t, (c) => c.notNull().references(runRef).onDelete("cascade"))
    .addColumn("idx", "integer", notNull)
    .addColumn("start_step", "integer", notNull) // "start"/"end" would need quoting in SQL
    .addColumn("end_step", "integer", notNull)
    .addColumn("env", t, notNull)
    .addPrimaryKeyConstraint("phases_pk", ["run_id", "idx"])
    .execute();
  await s.createTable("run_state").ifNotExists()
    .addColumn("run_id", t, (c) => c.primaryKey().references(runRef).onDelete("cascade"))
    .addColumn("step", "integer", notNull)
    .addColumn("state", blob(dialect), notNull)
    .execute();
  // listRuns sorts by creation and filters by sweep, name or status; one key's curve is read on
  // its own by the dashboard.
  await createIndexes(db, [
    ["runs_created_idx", "runs", ["created_at"]],
    ["runs_sweep_idx", "runs", ["sweep_id", "created_at"]],
    ["runs_name_idx", "runs", ["name", "created_at"]],
    ["runs_status_idx", "runs", ["status", "created_at"]],
    ["metrics_key_idx", "metrics", ["run_id", "key", "step"]],
  ]);
}
