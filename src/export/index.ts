// Exports: stored runs as tidy tables (Parquet, CSV, JSON lines) for pandas or polars, one run's
// files after `ecotone run`, and a sweep's cells table with its phase diagram. Re-exports only.
export { csvField, encode, FORMATS, toCsv, toJsonl, toParquet, type Format } from "./formats.ts";
export { buildTables, isPerfKey, labelName, TABLES, trainedEnvAt, type TableName } from "./tables.ts";
export { isSafetensors, writeStates } from "./states.ts";
export type { Column, ColumnType, Table } from "./table.ts";
export { exportRuns, MANIFEST, type ExportResult } from "./write.ts";
export { exportRun, metricsCsv } from "./run.ts";
export { cellsCsv, exportSweep, writePhaseDiagram } from "./sweep.ts";
