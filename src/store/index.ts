// The run store: openStore picks a backend from the URL; everything else is the Store interface.

import { EcotoneError } from "../util/errors.ts";
import { migrate } from "./schema.ts";
import { openSqlite } from "./sqlite.ts";
import { kyselyStore } from "./store.ts";
import type { Store } from "./types.ts";

export type { Divergence, MetricPoint, NewRun, Phase, RunRow, RunStatus, Store } from "./types.ts";
export type { NewSweep, NewSweepCell, SweepCellRow, SweepCellStatus, SweepRow, SweepStatus } from "./types.ts";
export { exportRun } from "./export.ts";
export { MIN_PREFIX } from "./store.ts";

/** Where runs go when no store is given: a SQLite file relative to the working directory. */
export const defaultStorePath = ".ecotone/ecotone.db";

/** Open (creating and migrating if needed) the store at `url`: a SQLite file path or ":memory:". */
export async function openStore(url: string = defaultStorePath): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const shown = url.replace(/\/\/[^@/]*@/, "//***@"); // never echo a password
    throw new EcotoneError("E_STORE", `PostgreSQL store not available yet: ${shown} (use a SQLite file path)`);
  }
  const db = openSqlite(url);
  try {
    await migrate(db, "sqlite");
  } catch (err) {
    await db.destroy();
    if (err instanceof EcotoneError) throw err;
    throw new EcotoneError("E_STORE", `cannot open store ${url}: ${(err as Error).message}`);
  }
  return kyselyStore(db, url);
}
