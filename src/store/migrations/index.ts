// The schema's history, one file per version, given to kysely's Migrator by a static provider
// (no folder scanning: it works under tsx, bundled, and from any working directory).
//
// To add version N: write `NNN-what.ts` here exporting `up(db, dialect)` (idempotent: create
// "if not exists", add a column only when missing; see _kit.ts), then add two lines below:
//   import * as mNNN from "./NNN-what.ts";
//   "NNN-what": mNNN,
// Names sort in applying order; the number before the dash is the schema version.

import type { Migration, MigrationProvider } from "kysely";
import type { MigrationFile, SqlDialect } from "./_kit.ts";
import * as m001 from "./001-runs.ts";
import * as m002 from "./002-sweeps.ts";
import * as m003 from "./003-metric-descriptors.ts";
import * as m004 from "./004-owners.ts";
import * as m005 from "./005-tags-notes.ts";
import * as m006 from "./006-states-per-step.ts";
import * as m007 from "./007-cell-workers.ts";

const files: Record<string, MigrationFile> = {
  "001-runs": m001,
  "002-sweeps": m002,
  "003-metric-descriptors": m003,
  "004-owners": m004,
  "005-tags-notes": m005,
  "006-states-per-step": m006,
  "007-cell-workers": m007,
};

export type { SqlDialect } from "./_kit.ts";

/** The schema version a migration name stands for: its leading number. */
export const versionOf = (name: string): number => Number.parseInt(name, 10);

/** The migrations this ecotone has, in applying order. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(files).sort();

/** The newest schema version this ecotone knows. */
export const LATEST_VERSION = Math.max(...Object.keys(files).map(versionOf));

/** The migrations, bound to a dialect, for kysely's Migrator. */
export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  const bound: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(files)) bound[name] = { up: (db) => m.up(db, dialect) };
  return { getMigrations: async () => bound };
}
