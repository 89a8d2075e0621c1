// The embedded backend: one SQLite file through better-sqlite3, spoken to via kysely.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { EcotoneError } from "../util/errors.ts";
import type { Database } from "./schema.ts";

/** How long a writer waits for another process's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000;

/** Open (creating it and its parent folders if needed) a SQLite file as a kysely database. */
export function openSqlite(path: string): Kysely<Database> {
  let db: BetterSqlite3.Database;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path);
    // First, so the pragmas below also wait for a process that holds the file.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL: a commit is one append, so a killed process leaves the file at its last commit,
    // and readers (the dashboard) never block the writer. NORMAL syncs at checkpoints only:
    // a power cut may lose the last commits, never consistency.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
  } catch (err) {
    throw new EcotoneError("E_STORE", `cannot open store ${path}: ${(err as Error).message}`);
  }
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: db }) });
}
