// Schema version 7: which queue worker ran a sweep cell last (sweep_cells.worker, `host/pid/name`;
// see src/queue/worker.ts). Cells run by a local sweep, and cells stored before, have none.
import type { Kysely } from "kysely";
import { columns, text, type SqlDialect } from "./_kit.ts";

export async function up(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  if (!(await columns(db, "sweep_cells")).has("worker")) await db.schema.alterTable("sweep_cells").addColumn("worker", text(dialect)).execute();
}
