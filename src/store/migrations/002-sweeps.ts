// Schema version 2: sweeps and their cells.
import type { Kysely } from "kysely";
import { createIndexes, notNull, text, type SqlDialect } from "./_kit.ts";

export async function up(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  const s = db.schema, t = text(dialect);
  await s.createTable("sweeps").ifNotExists()
    .addColumn("id", t, (c) => c.primaryKey())
    .addColumn("name", t, notNull)
    .addColumn("spec_json", t, notNull)
    .addColumn("hash", t, notNull)
    .addColumn("status", t, notNull)
    .addColumn("created_at", t, notNull)
    .addColumn("finished_at", t)
    .addColumn("owner", t)
    .addColumn("heartbeat_at", t)
    .execute();
  await s.createTable("sweep_cells").ifNotExists()
    .addColumn("sweep_id", t, (c) => c.notNull().references("sweeps.id").onDelete("cascade"))
    .addColumn("cell_key", t, notNull)
    .addColumn("idx", "integer", notNull)
    .addColumn("params_json", t, notNull)
    .addColumn("spec_json", t, notNull)
    .addColumn("run_id", t)
    .addColumn("status", t, notNull)
    .addColumn("error", t)
    .addColumn("updated_at", t, notNull)
    .addPrimaryKeyConstraint("sweep_cells_pk", ["sweep_id", "cell_key"])
    .execute();
  await createIndexes(db, [
    ["sweeps_hash_idx", "sweeps", ["hash", "created_at"]],
    ["sweep_cells_idx", "sweep_cells", ["sweep_id", "idx"]],
  ]);
}
