// The run store's contract. Callers (runner, CLI, dashboard, exports) see only this; the SQL
// behind it is kysely's portable subset so SQLite and PostgreSQL can both implement it.

export type RunStatus = "running" | "completed" | "interrupted" | "failed";

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
}

export interface Store {
  readonly url: string;
  /** Insert a run with status "running". */
  createRun(run: NewRun): Promise<void>;
  /** Replace the run's schedule segments. */
  writePhases(runId: string, phases: Phase[]): Promise<void>;
  /** One transaction: all points of a checkpoint plus (optionally) the resumable training state; idempotent (re-writing the same step replaces it). */
  writeCheckpoint(runId: string, step: number, points: MetricPoint[], state?: Uint8Array): Promise<void>;
  /** Record where a seed diverged; idempotent per (run, seed): the first record wins. */
  recordDivergence(runId: string, d: Divergence): Promise<void>;
  /** The latest saved training state, if any. */
  loadState(runId: string): Promise<{ step: number; state: Uint8Array } | undefined>;
  /** Change the run's status (e.g. "interrupted" on Ctrl-C). */
  setStatus(runId: string, status: RunStatus): Promise<void>;
  /** Set the final status, finishedAt and the summary JSON. */
  finishRun(runId: string, status: RunStatus, summary: unknown): Promise<void>;
  /** A run by id or unique id prefix (≥ 4 chars); throws E_ARGS when a prefix is ambiguous. */
  getRun(id: string): Promise<RunRow | undefined>;
  /** Runs matching all given fields (name is exact), newest first. */
  listRuns(filter?: { status?: RunStatus; name?: string; sweepId?: string }): Promise<RunRow[]>;
  /** Metric points ordered by step, key, seed. */
  metrics(runId: string, opts?: { keys?: string[]; fromStep?: number }): Promise<MetricPoint[]>;
  /** The highest checkpoint step written, if any. */
  lastStep(runId: string): Promise<number | undefined>;
  /** Divergences ordered by seed. */
  divergences(runId: string): Promise<Divergence[]>;
  /** Schedule segments in order. */
  phases(runId: string): Promise<Phase[]>;
  /** Release the database. */
  close(): Promise<void>;
}
