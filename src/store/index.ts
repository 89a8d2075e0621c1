// The run store: openStore picks a backend from the URL; everything else is the Store interface.

import { statSync } from "node:fs";
import { EcotoneError } from "../util/errors.ts";
import { damaged, storeError } from "./_errors.ts";
import { openPostgres } from "./postgres.ts";
import { migrate, SCHEMA_VERSION, storedVersion } from "./schema.ts";
import { openSqlite } from "./sqlite.ts";
import { kyselyStore } from "./store.ts";
import type { Store } from "./types.ts";
import { isPostgresUrl, redactText, redactUrl, urlPassword } from "./url.ts";

export type { Divergence, MetricPoint, NewRun, Phase, RunNote, RunRemoval, RunRow, RunStatus, Store } from "./types.ts";
export type { NewSweep, NewSweepCell, SweepCellRow, SweepCellStatus, SweepRow, SweepStatus } from "./types.ts";
export type { KeepStates, StateEntry } from "./types.ts";
export { KEEP_STATES } from "./types.ts";
export { MIN_PREFIX } from "./store.ts";
export { StoreFault, damaged, storeError } from "./_errors.ts";
export { describeOwner, livenessDefaults, ownerAlive, processOwner } from "./liveness.ts";
export { isPostgresUrl, redactText, redactUrl, storeFolder } from "./url.ts";

/** Where runs go when no store is given: a SQLite file relative to the working directory. */
export const defaultStorePath = ".ecotone/ecotone.db";

export const storeDefaults = {
  checkMaxBytes: 512 * 2 ** 20, // a store up to this size is checked whole on opening for writing (quick_check: ≈ 1 s per 400 MB, read from cache)
};

export interface OpenOptions {
  readonly?: boolean; // never write (ui, report, plot): the file must exist; no migration, no integrity check
  check?: boolean; // opening for writing, run `PRAGMA quick_check` first (default true; bounded by storeDefaults.checkMaxBytes)
}

/**
 * Open the store at `url`: a SQLite file path, ":memory:", or postgres://user:password@host/db
 * (see openServer). For writing, it is created and
 * migrated if needed and checked for damage first; read-only, a store that needs a migration is
 * upgraded if its file can be written, and refused with the reason otherwise. Any later failure of
 * the file (a full disk, a read-only folder, damage) is an E_STORE error that says so.
 */
export async function openStore(url: string = defaultStorePath, o: OpenOptions = {}): Promise<Store> {
  if (isPostgresUrl(url)) return openServer(url, o);
  if (o.readonly) return openReadonly(url);
  const db = openSqlite(url);
  let store: Store | undefined;
  try {
    store = guarded(kyselyStore(db, url, "sqlite"), url);
    if (o.check !== false && url !== ":memory:" && statSync(url).size <= storeDefaults.checkMaxBytes) {
      const problem = await store.integrity();
      if (problem !== null) throw damaged(url, problem);
    }
    await migrate(db, "sqlite");
    return store;
  } catch (err) {
    await db.destroy();
    throw storeError(err, url, "open");
  }
}

async function openReadonly(url: string): Promise<Store> {
  let db = openSqlite(url, { readonly: true });
  try {
    const version = await storedVersion(db);
    if (version !== undefined && version > SCHEMA_VERSION)
      throw new EcotoneError("E_STORE", `store schema version ${version} is newer than this ecotone's (${SCHEMA_VERSION}): upgrade ecotone`);
    if (version !== SCHEMA_VERSION && url !== ":memory:") {
      // An older (or empty) store: upgrade it once if the file can be written, then read it.
      await db.destroy();
      await upgrade(url, version);
      db = openSqlite(url, { readonly: true });
    } else if (version === undefined) {
      await migrate(db, "sqlite"); // an empty in-memory store
    }
    return guarded(kyselyStore(db, url, "sqlite"), url);
  } catch (err) {
    await db.destroy();
    throw storeError(err, url, "open");
  }
}

async function upgrade(url: string, version: number | undefined): Promise<void> {
  try {
    await (await openStore(url)).close();
  } catch (err) {
    const what = version === undefined ? "has no ecotone tables yet" : `is schema version ${version}, this ecotone reads version ${SCHEMA_VERSION},`;
    if (err instanceof EcotoneError && /read-only|cannot open/.test(err.message))
      throw new EcotoneError("E_STORE", `store ${url} ${what} and cannot be upgraded here: it is read-only; open it once where it can be written (ecotone run or ui), or use the ecotone that wrote it`);
    throw err;
  }
}

/** The store with every failure turned into an error that names its cause (see _errors.ts), `secrets` never shown. */
function guarded(store: Store, url: string, secrets: string[] = []): Store {
  return new Proxy(store, {
    get(target, p) {
      const v = Reflect.get(target, p, target);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        try {
          const out = v.apply(target, args);
          return out instanceof Promise ? out.catch((e: unknown) => { throw scrubbed(storeError(e, url), secrets); }) : out;
        } catch (e) {
          throw scrubbed(storeError(e, url), secrets);
        }
      };
    },
  });
}

/**
 * A PostgreSQL store: migrated on first use (one process at a time, under an advisory lock), read-only
 * or not (the server decides what may be written; read-only only means ecotone writes nothing but a
 * pending migration). The store's `url`, and every error, show the URL with its password redacted.
 */
async function openServer(url: string, o: OpenOptions): Promise<Store> {
  const shown = redactUrl(url);
  const secrets = [urlPassword(url), process.env.PGPASSWORD].filter((s): s is string => !!s);
  const scrub = (err: unknown): Error => {
    const e = storeError(err, shown, "open");
    e.message = redactText(e.message, secrets);
    return e;
  };
  let db;
  try {
    db = openPostgres(url);
  } catch (err) {
    throw scrub(err); // a URL pg cannot parse
  }
  try {
    const version = await storedVersion(db);
    if (version !== undefined && version > SCHEMA_VERSION)
      throw new EcotoneError("E_STORE", `store schema version ${version} is newer than this ecotone's (${SCHEMA_VERSION}): upgrade ecotone`);
    if (version !== SCHEMA_VERSION) await migrate(db, "postgres"); // concurrent openers wait for each other there, and check again
    return guarded(kyselyStore(db, shown, "postgres"), shown, secrets);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw scrub(err);
  }
}

function scrubbed(e: Error, secrets: string[]): Error {
  if (secrets.length) e.message = redactText(e.message, secrets);
  return e;
}
