// Runs a sweep's cells in parallel, one cell process per worker, and makes the sweep resumable
// without loss. The store is the only memory: a cell is pending (no run), running (its run exists
// and is unfinished: resume it), completed or failed (retried by the next start). A process
// crash fails its cell only; a killed sweep, started again with the same spec, finishes the
// missing cells and never repeats or double-counts a completed one.
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism, hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { ownerAlive, type Store, type SweepCellRow, type SweepRow, type SweepStatus } from "../store/index.ts";
import { baselineSpecs } from "../train/baselines.ts";
import { specHash } from "../train/plan.ts";
import { EcotoneError } from "../util/errors.ts";
import type { CellJob, Fault, FromCell } from "./_protocol.ts";
import { classOf } from "./_summary.ts";
import type { Cell, Sweep } from "./spec.ts";

export type { Fault } from "./_protocol.ts";
export { ownerAlive } from "../store/index.ts"; // a sweep's owner is judged like a run's

export const runnerDefaults = {
  heartbeatMs: 5_000, // how often a running sweep tells the store it is alive (presumed dead after livenessDefaults.staleMs)
  stderrTail: 4_000, // characters of a crashed cell process's stderr kept for its error
};

/** What happened to one cell in this sweep process. */
export interface CellEvent {
  type: "completed" | "failed" | "interrupted";
  cell: Cell;
  index: number; // position in the sweep
  runId: string | null;
  label: string | null; // the completed run's class ("unresolved" when it has none)
  error: string | null;
}

export interface SweepRunOptions {
  store: Store; // a file store: cell processes open it by its url
  storeUrl?: string; // what cell processes open, when store.url is not it (a PostgreSQL URL is shown with its password redacted)
  workers?: number; // cell processes; default: available cores
  signal?: AbortSignal; // abort = Ctrl-C: running cells are interrupted (resumable), none are started
  onStart?: (info: { total: number; done: number; toRun: number; cells: number; workers: number }) => void; // total, done: steps across cells
  onProgress?: (done: number, total: number) => void; // training steps across all cells
  onCell?: (ev: CellEvent) => void;
  faults?: Fault[]; // test-only: see Fault
  allowLarge?: boolean; // cells beyond the resource limits run anyway (the sweep was checked with the same flag)
}

export interface SweepOutcome {
  sweepId: string;
  status: SweepStatus;
  cells: number;
  completed: number; // cells completed, before or during this start
  failed: number;
  ran: number; // cells started fresh by this process
  resumed: number; // unfinished runs continued by this process
}

const childEntry = fileURLToPath(new URL("./_child.mjs", import.meta.url));

/** Runs every cell of `sweep` that is not completed yet; see the file comment. */
export async function runSweep(sweep: Sweep, o: SweepRunOptions): Promise<SweepOutcome> {
  const { store } = o;
  if (store.url === ":memory:") throw new EcotoneError("E_ARGS", "sweep: needs a store file that its cell processes can open, not :memory:");
  const { row, stored } = await registerSweep(store, sweep);

  const outcome = async (ran = 0, resumed = 0): Promise<SweepOutcome> => {
    const cells = await store.sweepCells(sweep.id);
    const count = (s: string) => cells.filter((c) => c.status === s).length;
    const completed = count("completed");
    const status: SweepStatus = completed === cells.length ? "completed" : o.signal?.aborted ? "interrupted" : "failed";
    return { sweepId: sweep.id, status, cells: cells.length, completed, failed: count("failed"), ran, resumed };
  };
  if (sweep.cells.every((c) => stored.get(c.key)!.status === "completed")) {
    const out = await outcome();
    if (row.status !== out.status) await store.setSweepStatus(sweep.id, out.status);
    return out;
  }

  const me = `${hostname()}/${process.pid}/${Date.now()}`;
  await claim(store, sweep.id, me);
  const beat = setInterval(() => void store.heartbeatSweep(sweep.id, me).catch(() => {}), runnerDefaults.heartbeatMs);
  beat.unref();
  let counts: { ran: number; resumed: number };
  try {
    const jobs: Job[] = [];
    for (const cell of sweep.cells) {
      const job = await recover(store, sweep.id, cell, stored.get(cell.key)!);
      if (job) jobs.push(job);
    }
    counts = await runJobs(sweep, jobs, o);
  } catch (e) {
    await store.setSweepStatus(sweep.id, "interrupted").catch(() => {}); // release it for the next start
    throw e;
  } finally {
    clearInterval(beat);
  }
  const out = await outcome(counts.ran, counts.resumed);
  await store.setSweepStatus(sweep.id, out.status);
  return out;
}

/** Stores the sweep and its cells unless they are there already (the same spec joins its sweep); checks it is the same sweep. */
export async function registerSweep(store: Store, sweep: Sweep): Promise<{ row: SweepRow; stored: Map<string, SweepCellRow> }> {
  await store.createSweep(
    { id: sweep.id, name: sweep.name, hash: sweep.hash, specJson: JSON.stringify({ name: sweep.name, source: sweep.source, grid: sweep.grid, zip: sweep.zip, diagram: sweep.diagram, cells: sweep.cells }) },
    sweep.cells.map((c) => ({ key: c.key, params: c.params, specJson: JSON.stringify(c.spec) })),
  );
  const row = (await store.getSweep(sweep.id))!;
  if (row.hash !== sweep.hash) throw new EcotoneError("E_STORE", `sweep id ${sweep.id} already names a different sweep in ${store.url}`);
  const stored = new Map((await store.sweepCells(sweep.id)).map((c) => [c.key, c]));
  const missing = sweep.cells.find((c) => !stored.has(c.key));
  if (missing) throw new EcotoneError("E_STORE", `sweep ${sweep.id} in ${store.url} lacks cell ${missing.key}`);
  return { row, stored };
}

interface Job { cell: Cell; resume?: string } // resume: the cell's unfinished run

/** Runs the jobs on a pool of cell processes; a crashed process is replaced for the next job. */
async function runJobs(sweep: Sweep, jobs: Job[], o: SweepRunOptions): Promise<{ ran: number; resumed: number }> {
  const { store } = o;
  const index = new Map(sweep.cells.map((c, i) => [c.key, i]));
  const steps = (c: Cell) => c.spec.train.steps;
  const total = sweep.cells.reduce((a, c) => a + steps(c), 0);
  let done = total - jobs.reduce((a, j) => a + steps(j.cell), 0);
  const active = new Map<string, number>(); // cell key → its run's step
  const progress = () => o.onProgress?.(done + [...active.values()].reduce((a, b) => a + b, 0), total);
  const queue = [...jobs];
  const workers = Math.max(1, Math.min(o.workers ?? availableParallelism(), jobs.length));
  if (jobs.length === 0) return { ran: 0, resumed: 0 };
  o.onStart?.({ total, done, toRun: jobs.length, cells: sweep.cells.length, workers });
  progress();

  const finish = async (job: Job, r: JobResult) => {
    active.delete(job.cell.key);
    let type: CellEvent["type"], runId: string | null, error: string | null = null;
    if (r.type === "done") [type, runId] = [r.status, r.runId];
    else {
      error = r.type === "error" ? r.message : r.type === "crashed" ? r.why : "not started";
      [type, runId] = await recordFailure(store, sweep.id, job.cell.key, error);
    }
    if (type !== "interrupted") done += steps(job.cell);
    progress();
    const label = type === "completed" && runId ? classOf((await store.getRun(runId))?.summary).label : null;
    o.onCell?.({ type, cell: job.cell, index: index.get(job.cell.key)!, runId, label, error: type === "failed" ? error : null });
  };

  // Cells whose specs share weighted-sum baselines (same world, model and budget) would train them
  // twice if they started together: the first such cell runs alone, the rest reuse what it trained.
  const baselineKey = new Map(jobs.map((j) => [j.cell.key, j.cell.spec.baselines ? specHash(baselineSpecs(j.cell.spec).mixture) : undefined]));
  const training = new Set<string>(), ready = new Set<string>();
  const waiters: (() => void)[] = [];
  const wake = () => { for (const r of waiters.splice(0)) r(); };
  const take = async (): Promise<Job | undefined> => {
    for (;;) {
      if (queue.length === 0 || o.signal?.aborted) return undefined;
      const i = queue.findIndex((j) => { const k = baselineKey.get(j.cell.key); return !k || ready.has(k) || !training.has(k); });
      if (i >= 0) {
        const job = queue.splice(i, 1)[0]!;
        const k = baselineKey.get(job.cell.key);
        if (k && !ready.has(k)) training.add(k);
        return job;
      }
      await new Promise<void>((r) => waiters.push(r)); // until a running cell finishes
    }
  };
  const settled = (job: Job) => {
    const k = baselineKey.get(job.cell.key);
    if (k && training.delete(k)) ready.add(k);
    wake();
  };

  const pool = new Set<CellProcess>();
  const stopAll = () => { for (const p of pool) p.stop(); wake(); };
  o.signal?.addEventListener("abort", stopAll, { once: true });
  let ran = 0, resumed = 0;
  const worker = async () => {
    let proc: CellProcess | undefined;
    const retire = async () => { if (proc) { pool.delete(proc); await proc.close(); proc = undefined; } };
    try {
      for (let job = await take(); job && !o.signal?.aborted; job = await take()) {
        if (proc?.dead) await retire(); // it crashed with its last cell: a fresh process for the next
        if (!proc) pool.add((proc = new CellProcess(o.storeUrl ?? store.url)));
        const key = job.cell.key;
        const msg: CellJob = { type: "cell", sweepId: sweep.id, key, spec: job.cell.spec, resume: job.resume, fault: o.faults?.find((f) => key.includes(f.match)), allowLarge: o.allowLarge };
        const r = await proc.run(msg, (step) => { active.set(key, step); progress(); }, o.signal);
        if (r.type === "not-sent") break; // aborted before it started: it stays for the next start
        job.resume ? resumed++ : ran++;
        await finish(job, r);
        settled(job);
      }
    } finally {
      await retire();
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    o.signal?.removeEventListener("abort", stopAll);
  }
  return { ran, resumed };
}

/** What a cell needs now: nothing (completed), a resume of its unfinished run, or a fresh run. (The sweep queue's workers decide the same way.) */
export async function recover(store: Store, sweepId: string, cell: Cell, row: SweepCellRow): Promise<{ cell: Cell; resume?: string } | undefined> {
  if (row.status === "completed") return undefined;
  const run = row.runId === null ? undefined : await store.getRun(row.runId);
  if (run?.status === "completed") {
    await store.setCellStatus(sweepId, cell.key, "completed"); // finished just before a kill
    return undefined;
  }
  // Stale: its cell process was killed; running: it may still be ending (resume waits for nothing: the run's lock decides).
  if (run && (run.status === "running" || run.status === "stale" || run.status === "interrupted")) return { cell, resume: run.id };
  return { cell }; // no run yet, or a failed one: start clean
}

/** A failed cell: its unfinished run is marked failed too; a run that completed after all wins. */
export async function recordFailure(store: Store, sweepId: string, key: string, why: string): Promise<["completed" | "failed", string | null]> {
  const row = (await store.sweepCells(sweepId)).find((c) => c.key === key)!;
  if (row.status === "completed") return ["completed", row.runId];
  const run = row.runId === null ? undefined : await store.getRun(row.runId);
  if (run?.status === "completed") {
    await store.setCellStatus(sweepId, key, "completed");
    return ["completed", run.id];
  }
  if (run && run.status !== "failed" && run.status !== "diverged") await store.finishCellRun(sweepId, key, run.id, "failed", { error: why }, why);
  else await store.setCellStatus(sweepId, key, "failed", why);
  return ["failed", row.runId];
}

/** Takes the sweep for this process, unless a live process holds it. */
async function claim(store: Store, sweepId: string, me: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = (await store.getSweep(sweepId))!;
    if (row.owner !== null && ownerAlive(row.owner, row.heartbeatAt)) {
      const [host, pid] = row.owner.split("/");
      throw new EcotoneError("E_STORE", `sweep ${sweepId} is being run by process ${pid} on ${host}; wait for it to finish, or stop it and start again`);
    }
    if (await store.claimSweep(sweepId, me, row.owner)) return;
  }
  throw new EcotoneError("E_STORE", `sweep ${sweepId}: another process keeps claiming it`);
}


export type JobResult =
  | { type: "done"; status: "completed" | "interrupted"; runId: string }
  | { type: "error"; message: string }
  | { type: "crashed"; why: string }
  | { type: "not-sent" };

/** One cell process; it runs jobs one at a time until closed, or until it dies. */
export class CellProcess {
  private readonly proc: ChildProcess;
  private readonly ready: Promise<boolean>;
  private readonly exited: Promise<void>;
  private tail = "";
  private busy = false;
  dead = false;
  exitWhy = "";
  get pid(): number | undefined { return this.proc.pid; }

  constructor(storeUrl: string) {
    // No stdout: a cell must never write into the sweep's --json output.
    // The store's URL in the environment: a database password must not show in `ps`.
    this.proc = fork(childEntry, [], { execArgv: [], stdio: ["ignore", "ignore", "pipe", "ipc"], env: { ...process.env, ECOTONE_CELL_STORE: storeUrl } });
    this.proc.stderr!.on("data", (d: Buffer) => { this.tail = (this.tail + d.toString()).slice(-runnerDefaults.stderrTail); });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code, signal) => {
      this.dead = true;
      this.exitWhy = signal ? `cell process killed by ${signal}` : `cell process exited with code ${code}`;
      resolve();
    }));
    this.proc.on("error", () => {}); // e.g. a send after exit: the exit handler reports it
    this.ready = new Promise((resolve) => {
      this.proc.on("message", (m: FromCell) => m.type === "ready" && resolve(true));
      void this.exited.then(() => resolve(false));
    });
  }

  /** Runs one job; resolves when the cell is done, failed, or its process died. */
  async run(job: CellJob, onStep: (step: number) => void, signal?: AbortSignal, onBaselines?: () => void): Promise<JobResult> {
    if (!(await this.ready)) return { type: "crashed", why: this.why() };
    if (signal?.aborted) return { type: "not-sent" };
    this.busy = true;
    try {
      let onMsg: (m: FromCell) => void = () => {};
      return await new Promise<JobResult>((resolve) => {
        onMsg = (m) => {
          if (m.type === "ready" || m.key !== job.key) return;
          if (m.type === "progress") onStep(m.step);
          else if (m.type === "baselines") onBaselines?.();
          else if (m.type === "done") resolve({ type: "done", status: m.status, runId: m.runId });
          else resolve({ type: "error", message: m.message });
        };
        this.proc.on("message", onMsg);
        void this.exited.then(() => resolve({ type: "crashed", why: this.why() }));
        this.proc.send(job);
      }).finally(() => this.proc.off("message", onMsg));
    } finally {
      this.busy = false;
    }
  }

  /** Interrupt the current run (it stays resumable). */
  stop(): void {
    if (this.busy && !this.dead) this.proc.send({ type: "stop" });
  }

  /** Let the process end (it exits when its channel closes) and wait for it. */
  async close(): Promise<void> {
    if (!this.dead && this.proc.connected) this.proc.disconnect();
    await this.exited;
  }

  private why(): string {
    const tail = this.tail.trim().split("\n").slice(-5).join("\n");
    return this.exitWhy + (tail ? `: ${tail}` : "");
  }
}
