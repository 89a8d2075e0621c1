// Internal: a transaction that reports the error that aborted it. kysely's own rolls back on
// error and, when SQLite has already rolled back by itself (a full disk, an I/O error), throws
// "cannot rollback - no transaction is active" instead, hiding the cause.
import { sql, type Kysely } from "kysely";

export async function transaction<DB, T>(db: Kysely<DB>, body: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (tx) => {
    await sql`begin`.execute(tx);
    try {
      const out = await body(tx);
      await sql`commit`.execute(tx);
      return out;
    } catch (e) {
      await sql`rollback`.execute(tx).catch(() => {}); // nothing to roll back when SQLite already did
      throw e;
    }
  });
}
