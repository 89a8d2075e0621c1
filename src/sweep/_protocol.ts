// Internal: the messages between a sweep process and its cell processes (JSON over IPC).
import type { ExperimentSpec } from "../experiment/schema.ts";

/** Test-only: the run of a cell whose key contains `match` fails after its first checkpoint,
 * by throwing (`throw`) or by its process being killed with SIGKILL (`crash`). */
export interface Fault {
  match: string;
  kind: "throw" | "crash";
}

/** Run one cell: a fresh run of `spec`, or `resume` the cell's unfinished run. */
export interface CellJob {
  type: "cell";
  sweepId: string;
  key: string;
  spec: ExperimentSpec;
  resume?: string; // run id
  fault?: Fault;
  allowLarge?: boolean; // lift the soft resource limits (the sweep was checked with the same flag)
}

export type ToCell = CellJob | { type: "stop" }; // stop: interrupt the current run at its next step

export type FromCell =
  | { type: "ready" }
  | { type: "progress"; key: string; step: number; total: number }
  | { type: "baselines"; key: string } // the cell's weighted-sum baselines are in the store; its own training begins
  | { type: "done"; key: string; runId: string; status: "completed" | "interrupted" }
  | { type: "error"; key: string; runId?: string; message: string };
