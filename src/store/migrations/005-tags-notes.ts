// Schema version 5: a run's tags and timestamped notes, gone with the run.
import type { Kysely } from "kysely";
import { createIndexes, notNull, text, type SqlDialect } from "./_kit.ts";

export async function up(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  const s = db.schema, t = text(dialect);
  await s.createTable("run_tags").ifNotExists()
    .addColumn("run_id", t, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("tag", t, notNull)
    .addPrimaryKeyConstraint("run_tags_pk", ["run_id", "tag"])
    .execute();
  await s.createTable("run_notes").ifNotExists()
    .addColumn("run_id", t, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("idx", "integer", notNull)
    .addColumn("at", t, notNull)
    .addColumn("body", t, notNull)
    .addPrimaryKeyConstraint("run_notes_pk", ["run_id", "idx"])
    .execute();
  await createIndexes(db, [["run_tags_tag_idx", "run_tags", ["tag", "run_id"]]]);
}
