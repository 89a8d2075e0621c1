// Schema version 6: run_state keyed by (run_id, step), so `--keep-states every` can keep one
// state per checkpoint; the latest step is the one to resume from. The table is rebuilt (a
// primary key cannot be altered in SQLite); existing states are kept. runs.keep_states: the
// run's policy (final, none, every; null: final, as every run before).
import { sql, type Kysely } from "kysely";
import { blob, columns, notNull, text, type SqlDialect } from "./_kit.ts";

export async function up(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  const s = db.schema, t = text(dialect);
  await s.dropTable("run_state_v6").ifExists().execute();
  await s.createTable("run_state_v6")
    .addColumn("run_id", t, (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("step", "integer", notNull)
    .addColumn("state", blob(dialect), notNull)
    .addPrimaryKeyConstraint("run_state_pk", ["run_id", "step"])
    .execute();
  await sql`insert into run_state_v6 (run_id, step, state) select run_id, step, state from run_state`.execute(db);
  await s.dropTable("run_state").execute();
  await s.alterTable("run_state_v6").renameTo("run_state").execute();
  if (!(await columns(db, "runs")).has("keep_states")) await s.alterTable("runs").addColumn("keep_states", t).execute();
}
