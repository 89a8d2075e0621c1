// `ecotone worker`: claims sweep cells from the queue and runs each in a cell process (the local
// runner's, so a crashing cell never takes the worker down), writing to the shared store. The
// store stays the only memory of a cell: a retried cell resumes the run its last worker left
// half done (the cell points to it), so a cell is stored once however often it is tried.
//
// Faults: a lost database is waited for with backoff and the cell resumed by the same worker
// while its job is still its own; a worker killed with -9 stops extending its job, which pg-boss
// then hands to another worker; a cell that fails on its own is retried a bounded number of times
// and then given up, alone, with its error.
import { hostname } from "node:os";
import pg from "pg";
import type PgBoss from "pg-boss";
import { livenessDefaults, openStore, redactUrl, type Store } from "../store/index.ts";
import { CellProcess, recordFailure, recover, type Fault, type JobResult } from "../sweep/runner.ts";
import type { Cell } from "../sweep/spec.ts";
import { baselineSpecs } from "../train/baselines.ts";
import { specHash } from "../train/plan.ts";
import { Queue, queueDefaults, redactor, type CellJobData } from "./queue.ts";
import { settleSweep } from "./status.ts";

export const workerDefaults = {
  backoffMs: [500, 30_000] as const, // waiting for a lost database: first wait, longest wait (doubling)
  ownerWaitMs: livenessDefaults.staleMs + 10_000, // a retried cell whose run still has a live owner waits this long for it to go
};

export interface WorkerOptions {
  url: string; // the store (and queue): postgres://...
  concurrency?: number; // cells at once, one process each; default 1
  name?: string; // shown with host and pid in the store and the dashboard; default "worker"
  signal?: AbortSignal; // stop: running cells are interrupted (resumable) and their jobs given back
  log?: (line: string) => void; // one line per event; never a password
  faults?: Fault[]; // test-only: see Fault
  maintenanceSeconds?: number; // how often pg-boss looks for expired jobs (the bound on noticing a dead worker, with the lease)
}

export interface WorkerOutcome {
  completed: number; // cells this worker completed
  failed: number; // tries that failed here
}

/** A worker's identity in the store: `host/pid/name`. */
export const workerId = (name = "worker") => `${hostname()}/${process.pid}/${name}`;

/** Serves the queue until `signal` aborts; see the file comment. */
export async function runWorker(o: WorkerOptions): Promise<WorkerOutcome> {
  const redact = redactor(o.url);
  const log = (line: string) => o.log?.(redact(line));
  const me = workerId(o.name);
  const signal = o.signal ?? new AbortController().signal;
  const db = new Database(o.url, log, signal);
  const queue = await db.retry("open the queue", () => Queue.open(o.url, { maintenanceSeconds: o.maintenanceSeconds, onError: (m) => db.noticed(m) }));
  const store = queue && await db.retry("open the store", () => openStore(o.url));
  const out: WorkerOutcome = { completed: 0, failed: 0 };
  if (!queue || !store) {
    await queue?.close();
    return out;
  }
  const concurrency = Math.max(1, o.concurrency ?? 1);
  log(`worker ${me}: ${concurrency} cell(s) at a time from ${redactUrl(o.url)}`);
  const slot = async () => {
    const procs: { current?: CellProcess } = {};
    try {
      while (!signal.aborted) {
        let job: PgBoss.JobWithMetadata<CellJobData> | undefined;
        try {
          job = await queue.claim();
        } catch (e) {
          await db.lost(e);
          continue;
        }
        if (!job) {
          await sleep(queueDefaults.pollMs, signal);
          continue;
        }
        await serve(job, { queue, store, url: o.url, me, log, redact, signal, db, procs, faults: o.faults, out });
      }
    } finally {
      await procs.current?.close();
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, slot));
  } finally {
    await queue.close();
    await store.close().catch(() => {});
  }
  log(`worker ${me}: stopped after ${out.completed} cell(s) completed, ${out.failed} failed tries`);
  return out;
}

interface Ctx {
  queue: Queue;
  store: Store;
  url: string;
  me: string;
  log: (line: string) => void;
  redact: (text: string) => string;
  signal: AbortSignal;
  db: Database;
  procs: { current?: CellProcess };
  faults?: Fault[];
  out: WorkerOutcome;
}

/** One claimed job, to its end: completed, failed (retried by pg-boss), given back, or lost to another worker. */
async function serve(job: PgBoss.JobWithMetadata<CellJobData>, c: Ctx): Promise<void> {
  const { queue, log } = c;
  const state: TryState = { lost: false, settling: false };
  // The heartbeat: while this runs, the job's expiry keeps moving ahead of now.
  const beat = setInterval(() => {
    queue.extend(job).then((mine) => {
      if (mine || state.lost || state.settling) return; // settling: completed or failed just now, not lost
      state.lost = true;
      log(`cell ${job.data.key} of sweep ${job.data.sweepId}: its job expired and went to another worker; stopping it here`);
      state.proc?.stop();
    }, () => {}); // a lost database: the cell's own writes notice it too
  }, Math.max(250, (job.data.lease * 1000) / 4));
  beat.unref();
  try {
    for (;;) {
      try {
        state.settling = false;
        await attempt(job, c, state);
        return;
      } catch (e) {
        if (c.signal.aborted || state.lost) return;
        if (!(await c.db.isOutage(e))) {
          // A bug or a refusal of the store: the try fails (retried later, elsewhere if need be).
          const why = c.redact((e as Error).message ?? String(e));
          log(`cell ${job.data.key} of sweep ${job.data.sweepId}: ${why}`);
          await queue.fail(job, { error: why, worker: c.me }).catch(() => {});
          c.out.failed++;
          return;
        }
        await c.db.lost(e);
        if (!(await queue.extend(job).catch(() => false))) return; // expired meanwhile: another worker has it
      }
    }
  } finally {
    clearInterval(beat);
  }
}

interface TryState {
  lost: boolean; // the job expired and went to another worker
  settling: boolean; // the cell has ended here; its job is being completed, failed or given back
  proc?: CellProcess;
}

/** One try at a job; throws when the database fails under it (the caller waits, then tries again). */
async function attempt(job: PgBoss.JobWithMetadata<CellJobData>, c: Ctx, state: TryState): Promise<void> {
  const { queue, store, log, me } = c;
  const { sweepId, key } = job.data;
  const where = `cell ${key} of sweep ${sweepId}`;
  for (;;) {
    const row = (await store.sweepCells(sweepId)).find((r) => r.key === key);
    if (!row) {
      state.settling = true;
      await queue.complete(job, { error: `no cell ${key} in sweep ${sweepId} (deleted?)`, worker: me });
      return;
    }
    if (row.status === "completed") {
      state.settling = true;
      await queue.complete(job, { runId: row.runId, worker: me, note: "already completed" });
      await settleSweep(store, queue, sweepId);
      return;
    }
    const cell: Cell = { key, params: row.params, spec: JSON.parse(row.specJson) };
    // A retried cell whose last worker may still be finishing (another host, silent less than a
    // heartbeat's staleness): wait for that run to end or to go stale rather than train it twice.
    const end = Date.now() + workerDefaults.ownerWaitMs;
    const ownedElsewhere = async (runId: string) => {
      const run = await store.getRun(runId);
      return run?.status === "running" && run.owner !== null && !ownedHere(run.owner, c.procs.current);
    };
    while (row.runId !== null && (await ownedElsewhere(row.runId)) && Date.now() < end && !c.signal.aborted && !state.lost)
      await sleep(1_000, c.signal);
    if (c.signal.aborted || state.lost) return giveBack(job, c, state);
    const todo = await recover(store, sweepId, cell, row);
    if (!todo) continue; // it completed just now: read it again
    // Cells that share weighted-sum baselines (same world, model, budget) train them once: the
    // first to get this lock trains them; the others wait, then find them in the store.
    const lock = cell.spec.baselines ? await queue.lock(`baselines:${specHash(baselineSpecs(cell.spec).mixture)}`, { signal: c.signal }) : undefined;
    if (cell.spec.baselines && !lock) return giveBack(job, c, state);
    let r: JobResult;
    try {
      await store.setCellWorker(sweepId, key, me);
      if (c.procs.current?.dead) { await c.procs.current.close(); c.procs.current = undefined; }
      const proc = (state.proc = c.procs.current ??= new CellProcess(c.url));
      log(`${where}: ${todo.resume ? `resuming run ${todo.resume}` : "starting"} (try ${job.retryCount + 1} of ${job.retryLimit + 1})`);
      const stop = () => proc.stop();
      c.signal.addEventListener("abort", stop, { once: true });
      try {
        r = await proc.run(
          { type: "cell", sweepId, key, spec: cell.spec, resume: todo.resume, fault: c.faults?.find((f) => key.includes(f.match)), allowLarge: job.data.allowLarge },
          () => {}, c.signal, () => void lock?.release(),
        );
      } finally {
        c.signal.removeEventListener("abort", stop);
      }
    } finally {
      await lock?.release();
    }
    state.settling = true;
    if (r.type === "not-sent" || (r.type === "done" && r.status === "interrupted")) return giveBack(job, c, state);
    if (r.type === "done") {
      await queue.complete(job, { runId: r.runId, worker: me });
      c.out.completed++;
      log(`${where}: completed (run ${r.runId})`);
      await settleSweep(store, queue, sweepId);
      return;
    }
    const why = c.redact(r.type === "error" ? r.message : r.why);
    if (state.lost) return;
    if (await c.db.isOutage(why)) throw new Error(why); // the caller waits for the database, then resumes the cell
    const [type, runId] = await recordFailure(store, sweepId, key, why);
    if (type === "completed") {
      await queue.complete(job, { runId, worker: me });
      await settleSweep(store, queue, sweepId);
      return;
    }
    c.out.failed++;
    if (why === DIVERGED) {
      // Training is deterministic: a diverged cell diverges again. Its job ends here; the cell stays failed.
      await queue.complete(job, { error: why, runId, worker: me, final: true });
      log(`${where}: failed: ${why}`);
    } else {
      await queue.fail(job, { error: why, runId, worker: me });
      const last = job.retryCount >= job.retryLimit;
      log(`${where}: failed (try ${job.retryCount + 1} of ${job.retryLimit + 1}${last ? ", giving up" : ", to be retried"}): ${why}`);
    }
    await settleSweep(store, queue, sweepId);
    return;
  }
}

const DIVERGED = "every seed diverged";

/** Whether a run's owner is this worker's own cell process (alive after the database came back: it resumes its run itself). */
function ownedHere(owner: string, proc: CellProcess | undefined): boolean {
  const [host, pid] = owner.split("/");
  return proc !== undefined && !proc.dead && host === hostname() && Number(pid) === proc.pid;
} // what a cell process reports for a diverged run (src/sweep/cell.ts)

/** The worker is stopping (or lost the job): an unfinished cell stays resumable; its job is queued again at once unless another worker has it. */
async function giveBack(job: PgBoss.JobWithMetadata<CellJobData>, c: Ctx, state: { lost: boolean }): Promise<void> {
  if (!state.lost) await c.queue.release(job).catch(() => {}); // if this fails too, the job expires after its lease
}

/** The database as the worker sees it: reachable or not, with one backoff shared by every slot. */
class Database {
  private down: Promise<void> | undefined;
  constructor(private readonly url: string, private readonly log: (line: string) => void, private readonly signal: AbortSignal) {}

  /** A failure that says the server is gone (or restarting), rather than a refusal of one query. */
  async isOutage(e: unknown): Promise<boolean> {
    const text = typeof e === "string" ? e : `${(e as Error)?.message ?? e} ${(e as { code?: string })?.code ?? ""}`;
    if (/ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|terminat|Connection terminated|connection (is )?(closed|lost|refused|ended)|shutting down|starting up|not yet accepting|57P0[123]|08\d\d\d|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(text))
      return true;
    return this.ping().then(() => false, () => true);
  }

  noticed(message: string): void {
    if (!this.down) this.log(`database: ${message}`);
  }

  /** Waits (with backoff) until the database answers again; one wait shared by every caller. */
  async lost(e: unknown): Promise<void> {
    this.down ??= (async () => {
      const [first, longest] = workerDefaults.backoffMs;
      let wait: number = first;
      this.log(`database unreachable (${String((e as Error)?.message ?? e).split("\n")[0]}); reconnecting with backoff`);
      for (;;) {
        await sleep(wait, this.signal);
        if (this.signal.aborted) return;
        if (await this.ping().then(() => true, () => false)) break;
        wait = Math.min(longest, wait * 2);
        this.log(`database still unreachable; next try in ${(wait / 1000).toFixed(1)} s`);
      }
      this.log("database reachable again; going on");
    })().finally(() => (this.down = undefined));
    await this.down;
  }

  /** Runs `open` until it succeeds (backing off while the database is away), or undefined when stopped. */
  async retry<T>(what: string, open: () => Promise<T>): Promise<T | undefined> {
    for (;;) {
      try {
        return await open();
      } catch (e) {
        if (!(await this.isOutage(e))) throw e;
        this.log(`cannot ${what} yet`);
        await this.lost(e);
        if (this.signal.aborted) return undefined;
      }
    }
  }

  /** Throws unless a fresh connection gets an answer. */
  private async ping(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
    } finally {
      await client.end().catch(() => {});
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
