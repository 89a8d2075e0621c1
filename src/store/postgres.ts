// The team backend: a PostgreSQL database through a pg connection pool, spoken to via kysely's
// PostgresDialect. Credentials come from the URL or the standard PG* environment variables
// (PGHOST, PGUSER, PGPASSWORD, ...: libpq's, which pg reads for whatever the URL leaves out).

import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./schema.ts";

export const postgresDefaults = {
  poolSize: 4, // connections per process: a trainer writes from one; migrating holds two
  connectTimeoutMs: 10_000, // a server that does not answer fails the open instead of hanging
};

/** A kysely database over a pool for `url`; nothing is connected until the first query. */
export function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: postgresDefaults.poolSize,
    connectionTimeoutMillis: postgresDefaults.connectTimeoutMs,
    application_name: "ecotone",
  });
  // An idle connection dropped by the server (a restart) is an event, not a crash; the next
  // query gets a fresh connection, or fails with the cause.
  pool.on("error", () => {});
  // A connection dropped while checked out (mid-query) rejects that query; without a listener
  // its "error" event would also crash the process.
  pool.on("connect", (client) => client.on("error", () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
