// Where a queued sweep stands, across every worker: each cell's state in the store joined with its
// job in the queue (tries, the worker that ran it, the last error). What `ecotone sweep status`
// prints, what `ecotone sweep --queue` waits on, and what tells a worker the sweep has ended.
import type { Store, SweepCellStatus, SweepRow } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { cellJobId, type JobInfo, type Queue } from "./queue.ts";

/** A cell as a person reads it: done, running (where), queued, waiting to be retried, or given up. */
export type QueuedState = "completed" | "running" | "queued" | "retrying" | "failed";

export interface QueuedCell {
  index: number;
  key: string;
  params: Record<string, unknown>;
  status: SweepCellStatus; // as stored
  state: QueuedState;
  final: boolean; // nothing more will happen to it (completed, or failed with no tries left)
  attempts: number; // tries started
  maxAttempts: number | null; // null: not queued
  worker: string | null; // host/pid/name of the worker that ran it last
  runId: string | null;
  step: number; // its run's last checkpoint (0 before one)
  steps: number; // planned training steps
  error: string | null; // the last try's error
}

export interface QueuedSweep {
  sweep: SweepRow;
  cells: QueuedCell[];
  counts: Record<QueuedState, number>;
  done: boolean; // every cell final
  steps: { done: number; total: number }; // training steps across cells (completed ones count whole)
}

/** Reads the sweep and its jobs; E_NOT_FOUND for an unknown sweep. */
export async function queuedSweep(store: Store, queue: Queue, sweepId: string): Promise<QueuedSweep> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) throw new EcotoneError("E_NOT_FOUND", `no sweep ${sweepId} in ${store.url}`);
  const rows = await store.sweepCells(sweepId);
  const jobs = await queue.jobs(rows.map((r) => cellJobId(sweepId, r.key)));
  const cells: QueuedCell[] = [];
  for (const r of rows) {
    const job: JobInfo | undefined = jobs.get(cellJobId(sweepId, r.key));
    const steps = (JSON.parse(r.specJson) as { train?: { steps?: number } }).train?.steps ?? 0;
    const run = r.runId === null ? undefined : await store.getRun(r.runId);
    const step = r.status === "completed" ? steps : r.runId === null ? 0 : (await store.lastStep(r.runId)) ?? 0;
    // A job that is over (failed for good, or ended without completing the cell) leaves the cell as it is: final.
    const over = job === undefined ? r.status === "failed" : job.state === "failed" || job.state === "cancelled" || job.state === "completed";
    const state: QueuedState = r.status === "completed" ? "completed"
      : over ? "failed"
      : job?.state === "active" ? "running" : job?.state === "retry" ? "retrying" : "queued";
    cells.push({
      index: r.idx, key: r.key, params: r.params, status: r.status, state,
      final: state === "completed" || state === "failed",
      attempts: job?.attempts ?? 0, maxAttempts: job?.maxAttempts ?? null,
      worker: r.worker ?? job?.output?.worker ?? null,
      runId: r.runId ?? run?.id ?? null,
      step, steps,
      error: r.status === "completed" ? null : r.error ?? job?.output?.error ?? job?.output?.value?.message ?? null,
    });
  }
  const counts = { completed: 0, running: 0, queued: 0, retrying: 0, failed: 0 };
  for (const c of cells) counts[c.state]++;
  return {
    sweep, cells, counts, done: cells.every((c) => c.final),
    steps: { done: cells.reduce((a, c) => a + Math.min(c.step, c.steps), 0), total: cells.reduce((a, c) => a + c.steps, 0) },
  };
}

/** Once every cell is final, the sweep's status says how it ended (completed, or failed); idempotent. */
export async function settleSweep(store: Store, queue: Queue, sweepId: string): Promise<void> {
  const s = await queuedSweep(store, queue, sweepId);
  if (!s.done) return;
  const status = s.counts.completed === s.cells.length ? "completed" : "failed";
  if (s.sweep.status !== status) await store.setSweepStatus(sweepId, status);
}
