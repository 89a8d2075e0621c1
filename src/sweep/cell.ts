// A cell process: opens the store, then runs the cells its sweep sends, one at a time, as normal
// runs with one thread. Its store is wrapped so that creating a cell's run and linking it to the
// cell is one transaction, and so is finishing the run and the cell: a kill at any moment leaves
// either no run, an unfinished run the cell points to (resumed next time), or a finished cell.
import { loadSpecPlugins } from "../components/plugins.ts";
import type { RunStatus, Store } from "../store/index.ts";
import { openStore } from "../store/index.ts";
import type { NewRun } from "../store/types.ts";
import { specHash } from "../train/plan.ts";
import { resumeRun, runExperiment } from "../train/run.ts";
import type { CellJob, FromCell, ToCell } from "./_protocol.ts";

const send = (m: FromCell) => {
  try {
    process.send?.(m);
  } catch {
    process.exit(0); // the sweep process is gone
  }
};

// Ctrl-C (or a SIGTERM to the whole process group) reaches the cells too: the sweep process
// decides what it means and sends "stop", so the runs end resumable rather than crashed. Once the
// sweep process is gone (even killed with SIGKILL), the channel closes and the cell exits at once.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.on("disconnect", () => process.exit(0));

// The store's URL comes in the environment, not argv: a PostgreSQL password stays out of `ps`.
const store = await openStore(process.env.ECOTONE_CELL_STORE ?? process.argv[2]);
let current: AbortController | undefined;
process.on("message", (m: ToCell) => {
  if (m.type === "stop") current?.abort();
  else void runCell(m);
});
send({ type: "ready" });

async function runCell(job: CellJob): Promise<void> {
  const ac = (current = new AbortController());
  let runId = job.resume;
  let last = 0;
  let main = !job.spec.baselines; // the cell's own training has begun (after its baselines, when it has some)
  const onStage = (what: string) => {
    if (what !== job.spec.name || main) return;
    main = true;
    send({ type: "baselines", key: job.key }); // they are in the store: the sweep queue's lock on them can go
  };
  const onProgress = (step: number, total: number) => {
    if (!main) return; // a baseline's steps are not the cell's
    const now = Date.now();
    if (now - last < 100 && step < total) return; // at most ten messages a second
    last = now;
    send({ type: "progress", key: job.key, step, total });
  };
  try {
    await loadSpecPlugins(job.spec); // the cell's plugins, registered in this process
    const opts = { store: cellStore(store, job, (id) => (runId = id)), threads: 1, signal: ac.signal, onProgress, onStage, sweepId: job.sweepId, allowLarge: job.allowLarge };
    const s = job.resume ? await resumeRun(job.resume, opts) : await runExperiment(job.spec, opts);
    if (s.status === "diverged") send({ type: "error", key: job.key, runId: s.runId, message: DIVERGED }); // its cell is already failed, with this error
    else send({ type: "done", key: job.key, runId: s.runId, status: s.status === "completed" ? "completed" : "interrupted" });
  } catch (e) {
    send({ type: "error", key: job.key, runId, message: e instanceof Error ? e.message : String(e) });
  }
}

/**
 * The store as a cell's run sees it: creating and finishing the cell's own run also update the
 * cell, atomically. Other runs it starts (the weighted-sum baselines, recognised by their spec)
 * are stored as usual and never become the cell's run.
 */
function cellStore(inner: Store, job: CellJob, onRun: (runId: string) => void): Store {
  const { sweepId, key, fault } = job;
  const hash = specHash(job.spec);
  let cellRun = job.resume;
  const overrides: Partial<Store> = {
    createRun: async (run: NewRun) => {
      if (cellRun !== undefined || run.specHash !== hash) return inner.createRun(run);
      await inner.createCellRun(sweepId, key, run);
      onRun((cellRun = run.id));
    },
    finishRun: (runId: string, status: RunStatus, summary: unknown) =>
      runId === cellRun
        ? inner.finishCellRun(sweepId, key, runId, status, summary, status === "failed" ? errorOf(summary) : status === "diverged" ? DIVERGED : null)
        : inner.finishRun(runId, status, summary),
  };
  if (fault)
    overrides.writeCheckpoint = async (runId, step, points, state) => {
      if (step > 0) {
        if (fault.kind === "crash") process.kill(process.pid, "SIGKILL");
        throw new Error(`injected fault at step ${step}`);
      }
      return inner.writeCheckpoint(runId, step, points, state);
    };
  return new Proxy(inner, {
    get(target, p) {
      if (p in overrides) return overrides[p as keyof Store];
      const v = Reflect.get(target, p, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

const DIVERGED = "every seed diverged";

function errorOf(summary: unknown): string {
  const e = (summary as { error?: unknown } | null)?.error;
  return typeof e === "string" ? e : "run failed";
}
