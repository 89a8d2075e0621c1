// Internal: what a failed store operation means to the user. SQLite, PostgreSQL and the file system
// report a full disk, a read-only file, a damaged one or a server out of reach by code; each becomes an E_STORE error that names
// the cause and what to do, instead of a driver's message (or a stack).

import { EcotoneError } from "../util/errors.ts";

/** What to do with a damaged store; `sqlite3` is the command-line shell of SQLite. */
export const recoverHint = (path: string) =>
  `copy what can be read with \`sqlite3 ${path} .recover | sqlite3 fixed.db\` and use --store fixed.db, or start a new store`;

/** A store that cannot be used as it is; `fault` says why. A run stopped by one is left resumable. */
export class StoreFault extends EcotoneError {
  constructor(
    readonly fault: "full" | "readonly" | "io" | "busy" | "damaged" | "open",
    readonly detail: string, // what went wrong, without what became of the run
    readonly runId?: string, // the run it stopped, if any: the message says how to resume it
  ) {
    super("E_STORE", runId === undefined ? detail : `${detail}\nrun ${runId} keeps every checkpoint written before; resume it with: ecotone run --resume ${runId}`);
  }

  /** The same fault, as the one that stopped `runId` (the outermost run, when baselines nest). */
  stopped(runId: string): StoreFault {
    return new StoreFault(this.fault, this.detail, runId);
  }
}

export const damaged = (path: string, detail: string) =>
  new StoreFault("damaged", `the store ${path} is damaged: ${detail}; ${recoverHint(path)}`);

/** The error to show for `err`, thrown while the store at `path` was opened or used. */
export function storeError(err: unknown, path: string, when: "open" | "use" = "use"): Error {
  if (err instanceof EcotoneError) return err;
  const code = String((err as { code?: unknown })?.code ?? "");
  const msg = (err as Error)?.message ?? String(err);
  const doing = when === "open" ? "cannot open store" : "cannot write to the store";
  if (code === "SQLITE_FULL" || code === "ENOSPC" || (code === "SQLITE_IOERR_WRITE" && /full|space/i.test(msg)))
    return new StoreFault("full", `${doing} ${path}: the disk is full (${msg}); free some space (or move the store with --store), then resume`);
  if (code.startsWith("SQLITE_READONLY") || code === "EACCES" || code === "EPERM" || code === "EROFS")
    return new StoreFault("readonly", `${doing} ${path}: it is read-only (${msg}); give write permission, or copy it to a writable folder`);
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB")
    return damaged(path, msg);
  if (code.startsWith("SQLITE_CANTOPEN") || code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR")
    return new StoreFault("open", `cannot open store ${path}: ${msg}${code === "SQLITE_CANTOPEN" ? " (is its folder writable?)" : ""}`);
  if (code.startsWith("SQLITE_IOERR"))
    return new StoreFault("io", `input/output error on the store ${path} (${code}: ${msg}); check the disk, then resume`);
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
    return new StoreFault("busy", `the store ${path} is busy: another process held it for more than 10 s (${msg})`);
  if (when === "open" && code.startsWith("SQLITE_")) return new StoreFault("open", `cannot open store ${path}: ${msg}`);
  const pg = postgresFault(code, msg, path, doing);
  if (pg) return pg;
  return err as Error; // anything else is a bug: keep its stack
}


/** PostgreSQL's SQLSTATE codes and the network's, said as a StoreFault; undefined for anything else (a bug). */
function postgresFault(code: string, msg: string, path: string, doing: string): StoreFault | undefined {
  if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"].includes(code) || code.startsWith("08") || code.startsWith("57P")
    || /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(msg))
    return new StoreFault("io", `${doing} ${path}: the PostgreSQL server cannot be reached (${code ? `${code}: ` : ""}${msg}); check that it runs and the host and port, then resume`);
  if (code === "28P01" || code === "28000")
    return new StoreFault("open", `cannot open store ${path}: the server refused the login (${msg}); check the user and password (in the URL, or PGUSER and PGPASSWORD)`);
  if (code === "3D000") return new StoreFault("open", `cannot open store ${path}: ${msg} (create it first: createdb, or CREATE DATABASE)`);
  if (code === "53100") return new StoreFault("full", `${doing} ${path}: the database server's disk is full (${msg}); free some space, then resume`);
  if (code === "25006" || code === "42501")
    return new StoreFault("readonly", `${doing} ${path}: the server does not let this user write (${msg}); use a user with write access`);
  return undefined;
}
