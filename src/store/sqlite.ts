// The embedded backend: one SQLite file through better-sqlite3, spoken to via kysely.

import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { EcotoneError } from "../util/errors.ts";
import { storeError } from "./_errors.ts";
import type { Database } from "./schema.ts";

/** How long a writer waits for another process's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Open a SQLite file as a kysely database. For writing, the file and its parent folders are
 * created if needed. Read-only, the file must exist and nothing is ever written, so a store in a
 * read-only folder (or one the user may not write) can still be read.
 */
export function openSqlite(path: string, o: { readonly?: boolean } = {}): Kysely<Database> {
  const db = o.readonly ? openReadonly(path) : openWritable(path);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: db }) });
}

function openWritable(path: string): BetterSqlite3.Database {
  let db: BetterSqlite3.Database | undefined;
  try {
    if (path !== ":memory:") makeFolder(dirname(path));
    if (path !== ":memory:" && existsSync(path) && statSync(path).isDirectory()) throw new EcotoneError("E_STORE", `cannot open store ${path}: it is a directory`);
    // SQLite opens a file it may not write read-only without a word, and fails at the first write.
    if (path !== ":memory:") accessSync(existsSync(path) ? path : dirname(path), constants.W_OK);
    db = new BetterSqlite3(path);
    // First, so the pragmas below also wait for a process that holds the file.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL: a commit is one append, so a killed process leaves the file at its last commit,
    // and readers (the dashboard) never block the writer. NORMAL syncs at checkpoints only:
    // a power cut may lose the last commits, never consistency.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    return db;
  } catch (err) {
    db?.close();
    throw storeError(err, path, "open");
  }
}

/** Creates a store's folder; when it cannot, the error is about the nearest folder that exists (read-only?). */
function makeFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    let up = dir;
    while (!existsSync(up) && dirname(up) !== up) up = dirname(up);
    accessSync(up, constants.W_OK); // EROFS, EACCES: said as read-only
    throw err;
  }
}

function openReadonly(path: string): BetterSqlite3.Database {
  if (path === ":memory:") return new BetterSqlite3(path);
  if (!existsSync(path)) throw new EcotoneError("E_NOT_FOUND", `no run store at ${path}`);
  if (statSync(path).isDirectory()) throw new EcotoneError("E_STORE", `cannot open store ${path}: it is a directory`);
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.prepare("SELECT count(*) FROM sqlite_master").get(); // opening is lazy: fail here, not mid-request
    return db;
  } catch (err) {
    db?.close();
    // A WAL store needs its -shm file, which a read-only folder cannot get: read a snapshot of the
    // file instead (in a read-only folder, nobody can be writing to it).
    if ((err as { code?: string }).code !== "SQLITE_CANTOPEN") throw storeError(err, path, "open");
    return snapshot(path);
  }
}

/** The committed content of a store file, in memory; its WAL, if any, must be empty. */
function snapshot(path: string): BetterSqlite3.Database {
  const wal = `${path}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0)
    throw new EcotoneError("E_STORE", `cannot read store ${path}: its folder is read-only and it has unmerged changes in ${wal} (copy both files to a writable folder)`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw storeError(err, path, "open");
  }
  // Bytes 18-19 say "WAL"; an in-memory copy can only be read in rollback-journal mode.
  if (bytes.length >= 100 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(bytes, { readonly: true });
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch (err) {
    db?.close();
    throw storeError(err, path, "open");
  }
}
