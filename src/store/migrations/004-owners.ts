// Schema version 4: who trains a run (runs.owner, runs.heartbeat_at; see liveness.ts). Runs left
// "running" by an older ecotone have no owner: they read as stale (resumable).
import type { Kysely } from "kysely";
import { columns, text, type SqlDialect } from "./_kit.ts";

export async function up(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  const has = await columns(db, "runs");
  if (!has.has("owner")) await db.schema.alterTable("runs").addColumn("owner", text(dialect)).execute();
  if (!has.has("heartbeat_at")) await db.schema.alterTable("runs").addColumn("heartbeat_at", text(dialect)).execute();
}
