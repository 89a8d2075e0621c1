// A table to export: named, typed columns of equal length. What every format writer reads, so a
// column's type is decided once (here) and Parquet, CSV and JSON lines agree on it.
import { canonicalJson } from "../sweep/paths.ts";

/** int: a 32-bit integer; double: a float64, null for missing or non-finite; json: any value, as canonical JSON text. */
export type ColumnType = "string" | "int" | "double" | "bool" | "json";

export type Cell = string | number | boolean | null;

export interface Column {
  name: string;
  type: ColumnType;
  values: Cell[]; // null for missing
  required?: boolean; // never null (Parquet REQUIRED: pandas keeps it an integer)
}

export interface Table {
  name: string; // the file's name without extension: seeds, runs, ...
  columns: Column[];
}

export const rowCount = (t: Table) => t.columns[0]?.values.length ?? 0;

const isInt32 = (v: unknown) => typeof v === "number" && Number.isInteger(v) && Math.abs(v) < 2 ** 31;

/**
 * The narrowest type that holds every value: int, double, bool or string; anything else (objects,
 * arrays, a mix of types) as canonical JSON text, e.g. a swept `schedule: {kind: mixture}`.
 */
export function inferColumn(name: string, raw: unknown[]): Column {
  const present = raw.filter((v) => v !== null && v !== undefined);
  const all = (f: (v: unknown) => boolean) => present.every(f);
  const none = raw.map(() => null);
  if (present.length && all(isInt32)) return { name, type: "int", values: raw.map((v) => (v ?? null) as number | null) };
  if (present.length && all((v) => typeof v === "number")) return { name, type: "double", values: raw.map((v) => finite(v as number | null | undefined)) };
  if (present.length && all((v) => typeof v === "boolean")) return { name, type: "bool", values: raw.map((v) => (v ?? null) as boolean | null) };
  if (all((v) => typeof v === "string")) return { name, type: "string", values: present.length ? raw.map((v) => (v ?? null) as string | null) : none };
  return { name, type: "json", values: raw.map((v) => (v === null || v === undefined ? null : canonicalJson(v))) };
}

/** A float64 cell: null for missing, NaN and ±Infinity (the store's own convention). */
export const finite = (v: number | null | undefined): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
