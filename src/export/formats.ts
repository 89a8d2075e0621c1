// The file formats a table is written in: Parquet (typed, compressed: pd.read_parquet), CSV
// (RFC 4180: pd.read_csv) and JSON lines (pd.read_json(lines=True)). Each is bytes from a Table;
// nothing here reads the clock, so the same table gives the same bytes.
import { parquetWriteBuffer, type BasicType } from "hyparquet-writer";
import { rowCount, type Cell, type ColumnType, type Table } from "./table.ts";

export const FORMATS = ["parquet", "csv", "jsonl"] as const;
export type Format = (typeof FORMATS)[number];

/** A CSV field, quoted per RFC 4180 only when it holds a comma, a quote or a line break. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Empty for null (pandas reads NaN); String(v) is the shortest text that parses back exactly. */
const csvCell = (v: Cell) => (v === null ? "" : csvField(String(v)));

/** A table as CSV: a header of column names, then one line per row. */
export function toCsv(t: Table): string {
  const n = rowCount(t);
  let out = t.columns.map((c) => csvField(c.name)).join(",") + "\n";
  for (let i = 0; i < n; i++) out += t.columns.map((c) => csvCell(c.values[i]!)).join(",") + "\n";
  return out;
}

/** A table as JSON lines: one object per row, keys in column order, null where missing. */
export function toJsonl(t: Table): string {
  const n = rowCount(t);
  let out = "";
  for (let i = 0; i < n; i++) out += JSON.stringify(Object.fromEntries(t.columns.map((c) => [c.name, c.values[i]]))) + "\n";
  return out;
}

// JSON-valued columns are plain UTF-8 strings: pyarrow, polars and hyparquet all read them as text.
const parquetType: Record<ColumnType, BasicType> = { string: "STRING", int: "INT32", double: "DOUBLE", bool: "BOOLEAN", json: "STRING" };

/** A table as Parquet (snappy-compressed, one row group per 100,000 rows after the first 1,000). */
export function toParquet(t: Table): Uint8Array {
  const columnData = t.columns.map((c) => ({ name: c.name, data: c.values, type: parquetType[c.type], nullable: !c.required }));
  return new Uint8Array(parquetWriteBuffer({ columnData, createdBy: "ecotone" }));
}

/** The bytes (or text) of a table in a format. */
export function encode(t: Table, format: Format): Uint8Array | string {
  return format === "parquet" ? toParquet(t) : format === "csv" ? toCsv(t) : toJsonl(t);
}
