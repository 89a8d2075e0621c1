// Internal: what the migration files share. Every migration is idempotent (tables and indexes
// "if not exists", columns added only when missing): a store written before the Migrator (schema
// versions 1-5, tracked only in meta.schema_version) runs all of them and each fills what it lacks.

import { sql, type ColumnDefinitionBuilder, type Expression, type Kysely } from "kysely";

export type SqlDialect = "sqlite" | "postgres";

/** One schema version; `db` is untyped: a migration sees the tables as they were at its version. */
export interface MigrationFile {
  up(db: Kysely<any>, dialect: SqlDialect): Promise<void>;
}

/**
 * Text compared byte by byte on both databases: SQLite's default; PostgreSQL's default follows
 * the server's locale, which would order run ids, metric keys and tags differently per server.
 */
export const text = (dialect: SqlDialect): "text" | Expression<unknown> => (dialect === "postgres" ? sql`text collate "C"` : "text");

/** The column type of a state blob. */
export const blob = (dialect: SqlDialect) => (dialect === "postgres" ? "bytea" : "blob");

export const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

export async function columns(db: Kysely<any>, table: string): Promise<Set<string>> {
  const t = (await db.introspection.getTables()).find((x) => x.name === table);
  return new Set(t?.columns.map((c) => c.name) ?? []);
}

export async function createIndexes(db: Kysely<any>, indexes: [string, string, string[]][]): Promise<void> {
  for (const [name, table, cols] of indexes) await db.schema.createIndex(name).ifNotExists().on(table).columns(cols).execute();
}
