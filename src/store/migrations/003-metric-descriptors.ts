// Schema version 3: runs.metrics_json, the run's metric descriptors; "[]" for older runs.
import type { Kysely } from "kysely";
import { columns, text, type SqlDialect } from "./_kit.ts";

export async function up(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  if (!(await columns(db, "runs")).has("metrics_json"))
    await db.schema.alterTable("runs").addColumn("metrics_json", text(dialect), (c) => c.notNull().defaultTo("[]")).execute();
}
