// Probe logs: runs trained anywhere, read into the lab (ingest), and the lab's own runs written out
// in the same format (export). Re-exports only; docs/probe-log.md describes the format.
export { FORMAT, manifestSchema, probeLogJsonSchema, recordJsonSchema } from "./format.ts";
export type { Manifest, ManifestInput } from "./format.ts";
export { loadManifest } from "./manifest.ts";
export type { Layout, LoadedManifest } from "./manifest.ts";
export { ingest, ingestDefaults } from "./ingest.ts";
export type { IngestOptions, IngestResult } from "./ingest.ts";
export { exportProbeLog } from "./export.ts";
export type { ExportOptions, ExportResult } from "./export.ts";
