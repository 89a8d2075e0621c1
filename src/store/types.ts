// The run store's contract. Callers (runner, CLI, dashboard, exports) see only this; the SQL
// behind it is kysely's portable subset so SQLite and PostgreSQL can both implement it.
import type { MetricDescriptor } from "../metrics/live/descriptor.ts";

/**
 * running: its owner process is training it; completed; interrupted (Ctrl-C, a full disk:
 * resumable); failed; diverged: finished, but every seed diverged; stale: "running" in the store
 * but its owner is gone (killed): never stored, read so, and resumable like interrupted.
 */
export type RunStatus = "running" | "completed" | "interrupted" | "failed" | "diverged" | "stale";

export interface RunRow {
  id: string;
  name: string;
  specJson: string; // the spec as run, canonical JSON
  specHash: string; // hash of specJson, to find runs of the same experiment
  status: RunStatus;
  seeds: number; // ensemble size
  steps: number; // planned training steps
  volatility: number; // switches per step of the schedule
  envs: string[]; // training environment names
  createdAt: string; // ISO 8601
  finishedAt: string | null; // ISO 8601, set by finishRun
  summary: unknown | null; // parsed summary JSON, set by finishRun
  sweepId: string | null; // the sweep this run belongs to, if any
  metrics: MetricDescriptor[]; // what each key the run writes means (title, axis, range, panel); [] for runs stored before
  owner: string | null; // the process training it, `host/pid/startedAt`; null once it stops (see liveness.ts)
  heartbeatAt: string | null; // ISO 8601, refreshed by the owner while it trains
}

/** One metric value; null means NaN, ±Infinity or diverged. Seed -1 may hold run-level aggregates. */
export interface MetricPoint {
  step: number;
  seed: number;
  key: string; // `group/name`, e.g. "perf/acc:A"
  value: number | null;
}

/** Where a seed first went numerically wrong, e.g. { what: "NaN loss" }. */
export interface Divergence {
  seed: number;
  step: number;
  env: string;
  what: string;
}

/** One schedule segment: steps [start, end) train on `env`. */
export interface Phase {
  start: number;
  end: number;
  env: string;
}

/** A timestamped remark on a run (`ecotone note`). */
export interface RunNote {
  at: string; // ISO 8601, when it was written
  text: string;
}

/** What deleting a run takes with it (`ecotone rm`). */
export interface RunRemoval {
  runId: string;
  name: string;
  status: RunStatus;
  metrics: number; // stored metric values
  hasState: boolean; // a saved training state
  tags: number;
  notes: number;
  cells: { sweepId: string; cellKey: string }[]; // sweep cells whose run it is: unlinked, back to pending
}

/**
 * Which saved training states a run keeps once it finishes (completed or diverged): final, the
 * last one (the default); none; every, one per checkpoint. While it trains, the latest is always
 * kept (a resume needs it), and only it, unless every.
 */
export type KeepStates = "final" | "none" | "every";
export const KEEP_STATES: readonly KeepStates[] = ["final", "none", "every"];

/** A saved state as `ecotone gc` sees it. */
export interface StateEntry {
  runId: string;
  step: number;
  bytes: number;
  status: RunStatus | null; // null: its run is gone (an orphan)
  keep: KeepStates; // the run's policy
}

export interface NewRun {
  id: string;
  name: string;
  specJson: string;
  specHash: string;
  seeds: number;
  steps: number;
  volatility: number;
  envs: string[];
  sweepId?: string | null;
  createdAt?: string; // ISO 8601; defaults to now (set it when importing runs)
  metrics?: MetricDescriptor[]; // the run's descriptors, placeholders expanded; default none
  keepStates?: KeepStates; // default "final"
}

/** running: someone is (or was, until killed) working on it; failed: finished with failed cells. */
export type SweepStatus = "running" | "completed" | "failed" | "interrupted";
/** pending: no run yet; running: its run exists and is unfinished (resume it); failed: retried on the next start. */
export type SweepCellStatus = "pending" | "running" | "completed" | "failed";

export interface NewSweep {
  id: string;
  name: string;
  specJson: string; // the sweep as expanded: name, parameter paths, every cell's key and spec
  hash: string; // hash of specJson: the same spec file (and --quick) gives the same sweep
  createdAt?: string; // ISO 8601; defaults to now
}

export interface SweepRow {
  id: string;
  name: string;
  specJson: string;
  hash: string;
  status: SweepStatus;
  createdAt: string; // ISO 8601
  finishedAt: string | null; // ISO 8601, set when the sweep ends (completed or failed)
  owner: string | null; // the process working on it, `host/pid/startedAt`; null when none
  heartbeatAt: string | null; // ISO 8601, refreshed by the owner while it works
}

export interface NewSweepCell {
  key: string; // canonical JSON of params: stable across runs of the same spec
  params: Record<string, unknown>; // dotted path → value
  specJson: string; // the cell's validated experiment spec
}

export interface SweepCellRow extends NewSweepCell {
  sweepId: string;
  idx: number; // position in the expansion
  runId: string | null; // the cell's current run (the one that completes it, or the one to resume)
  status: SweepCellStatus;
  error: string | null; // why it failed
  updatedAt: string; // ISO 8601
  worker: string | null; // the queue worker that ran it last, `host/pid/name` (null: run by a local sweep)
}

export interface Store {
  readonly url: string;
  /** Insert a run with status "running", owned by this process. */
  createRun(run: NewRun): Promise<void>;
  /** Take a run over for this process (status "running"); throws E_STORE naming the owner when another live process holds it. */
  claimRun(runId: string): Promise<void>;
  /** Refresh this process's heartbeat on the run; false when it no longer owns it. */
  heartbeatRun(runId: string): Promise<boolean>;
  /** Replace the run's schedule segments. */
  writePhases(runId: string, phases: Phase[]): Promise<void>;
  /**
   * One transaction: all points of a checkpoint plus (optionally) the resumable training state;
   * idempotent (re-writing the same step replaces it). A new state replaces the run's older ones
   * unless the run keeps every state (KeepStates).
   */
  writeCheckpoint(runId: string, step: number, points: MetricPoint[], state?: Uint8Array): Promise<void>;
  /** Record where a seed diverged; idempotent per (run, seed): the first record wins. */
  recordDivergence(runId: string, d: Divergence): Promise<void>;
  /** The latest saved training state (or the one saved at `step`), if any. */
  loadState(runId: string, step?: number): Promise<{ step: number; state: Uint8Array } | undefined>;
  /** Change the run's status (e.g. "interrupted" on Ctrl-C); any but "running" releases its owner. */
  setStatus(runId: string, status: RunStatus): Promise<void>;
  /** Set the final status, finishedAt and the summary JSON; releases the owner. Completed or diverged, a run keeping no state ("none") loses its states. */
  finishRun(runId: string, status: RunStatus, summary: unknown): Promise<void>;
  /** A run by id or unique id prefix (≥ 4 chars); throws E_ARGS when a prefix is ambiguous. */
  getRun(id: string): Promise<RunRow | undefined>;
  /** Runs matching all given fields (name is exact; status as read, "stale" included), newest first. */
  listRuns(filter?: { status?: RunStatus; name?: string; sweepId?: string }): Promise<RunRow[]>;
  /** Metric points ordered by step, key, seed. */
  metrics(runId: string, opts?: { keys?: string[]; fromStep?: number }): Promise<MetricPoint[]>;
  /** The highest checkpoint step written, if any. */
  lastStep(runId: string): Promise<number | undefined>;
  /** Divergences ordered by seed. */
  divergences(runId: string): Promise<Divergence[]>;
  /** Schedule segments in order. */
  phases(runId: string): Promise<Phase[]>;
  /** Add tags to a run (existing ones are kept once); throws E_NOT_FOUND for an unknown run. */
  tagRun(runId: string, tags: string[]): Promise<void>;
  /** Remove tags from a run; tags it does not have are ignored. */
  untagRun(runId: string, tags: string[]): Promise<void>;
  /** Tags per run id, sorted; all runs when `runIds` is not given (runs without tags are absent). */
  tags(runIds?: string[]): Promise<Map<string, string[]>>;
  /** Append a note to a run, stamped now (or `at`); throws E_NOT_FOUND for an unknown run. */
  addNote(runId: string, text: string, at?: string): Promise<RunNote>;
  /** A run's notes in the order written. */
  notes(runId: string): Promise<RunNote[]>;
  /**
   * One transaction: delete the runs with their metrics, phases, divergences, state, tags and
   * notes. Refuses (E_STORE) a run trained by a live process, and (E_ARGS) one that is a sweep
   * cell's run unless `force`, which sets that cell back to pending. `dryRun` checks and counts only.
   */
  deleteRuns(runIds: string[], o?: { force?: boolean; dryRun?: boolean }): Promise<RunRemoval[]>;
  /** Insert the sweep and its cells, keeping whatever already exists (idempotent); true when the sweep is new. */
  createSweep(sweep: NewSweep, cells: NewSweepCell[]): Promise<boolean>;
  /** A sweep by exact id. */
  getSweep(id: string): Promise<SweepRow | undefined>;
  /** Sweeps matching all given fields, newest first. */
  listSweeps(filter?: { status?: SweepStatus; hash?: string }): Promise<SweepRow[]>;
  /** The cells of a sweep in expansion order. */
  sweepCells(sweepId: string): Promise<SweepCellRow[]>;
  /** Compare-and-set the sweep's owner: succeeds only while the stored owner is still `expected`; sets the heartbeat. */
  claimSweep(id: string, owner: string, expected: string | null): Promise<boolean>;
  /** Refresh the heartbeat; false when `owner` no longer owns the sweep. */
  heartbeatSweep(id: string, owner: string): Promise<boolean>;
  /** Set the sweep's status; completed and failed set finishedAt; anything but running releases the owner. */
  setSweepStatus(id: string, status: SweepStatus): Promise<void>;
  /** One transaction: create the run (with this sweep id) and make it the cell's run, status running. */
  createCellRun(sweepId: string, cellKey: string, run: NewRun): Promise<void>;
  /** One transaction: finishRun, and the cell takes the run's outcome (completed, or failed with `error` when the run failed or diverged). */
  finishCellRun(sweepId: string, cellKey: string, runId: string, status: RunStatus, summary: unknown, error?: string | null): Promise<void>;
  /** Set a cell's status (and error) outside a run, e.g. when its process crashed. */
  setCellStatus(sweepId: string, cellKey: string, status: SweepCellStatus, error?: string | null): Promise<void>;
  /** Record the queue worker (`host/pid/name`) now running a cell. */
  setCellWorker(sweepId: string, cellKey: string, worker: string): Promise<void>;
  /** Every saved state, with its size and its run's status and policy (orphans included), by run and step. */
  states(): Promise<StateEntry[]>;
  /** Delete saved states; returns how many were deleted. */
  deleteStates(entries: { runId: string; step: number }[]): Promise<number>;
  /** The bytes the store takes: SQLite, its pages (plus its write-ahead log); PostgreSQL, its tables with their indexes and TOAST. */
  storageBytes(): Promise<number>;
  /** Give freed space back: SQLite VACUUM (rewrites the file; waits for other writers); PostgreSQL, a plain VACUUM of the states (the server reuses the space, and returns what it can). */
  compact(): Promise<void>;
  /** Make room on a full disk: merge SQLite's write-ahead log into the file and truncate it; best effort. */
  reclaim(): Promise<void>;
  /** The first problems `PRAGMA quick_check` finds, or null when the file is sound. */
  integrity(): Promise<string | null>;
  /** Release the database. */
  close(): Promise<void>;
}
