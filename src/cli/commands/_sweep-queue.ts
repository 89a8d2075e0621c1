// `ecotone sweep <spec> --queue` and `ecotone sweep status <id>`: a sweep spread over `ecotone
// worker` processes through the queue in a PostgreSQL store. The command queues the cells that
// are not completed (a second run of the same spec joins the sweep: nothing is queued twice, and
// failed cells are queued again), then waits and shows progress across every worker, or returns.
import { join } from "node:path";
import { exportSweep } from "../../export/sweep.ts";
import { queueDefaults, Queue, redactor } from "../../queue/queue.ts";
import { queuedSweep, settleSweep, type QueuedCell, type QueuedSweep } from "../../queue/status.ts";
import { isPostgresUrl, openStore, redactUrl, storeFolder, type Store } from "../../store/index.ts";
import { resultsJson, type SweepResults } from "../../sweep/results.ts";
import { registerSweep } from "../../sweep/runner.ts";
import type { Sweep } from "../../sweep/spec.ts";
import { EcotoneError } from "../../util/errors.ts";
import { defaultReporter } from "../reporter.ts";

export interface QueueOpts {
  store: string;
  json?: boolean;
  wait?: boolean; // false with --no-wait
  lease?: number; // seconds: see queueDefaults.leaseSeconds
  retries?: number;
  allowLarge?: boolean;
}

const waitDefaults = { pollMs: 1_000 };

function needPostgres(url: string, what: string): void {
  if (!isPostgresUrl(url))
    throw new EcotoneError("E_ARGS", `${what} needs a PostgreSQL store that every worker opens: --store postgres://user@host/db (got ${redactUrl(url)}); without --queue, a sweep runs its cells on this machine`);
}

/** Queue the sweep's cells; wait for the workers unless `--no-wait`. */
export async function queueSweep(sweep: Sweep, o: QueueOpts, render: (r: SweepResults, store: string, out: string) => string): Promise<void> {
  needPostgres(o.store, "--queue");
  const reporter = defaultReporter();
  const store = await openStore(o.store);
  let queue: Queue | undefined;
  try {
    queue = await Queue.open(o.store, { onError: (m) => reporter.info(`database: ${m}`) });
    const { row, stored } = await registerSweep(store, sweep);
    const todo = [...stored.values()].filter((c) => c.status !== "completed");
    if (todo.length && row.status !== "running") await store.setSweepStatus(sweep.id, "running"); // queued again: not over yet
    const lease = o.lease ?? queueDefaults.leaseSeconds;
    const { added, retried } = await queue.enqueue(todo.map((c) => ({ sweepId: sweep.id, key: c.key, lease, allowLarge: o.allowLarge })), { retries: o.retries, retryFailed: true });
    const joined = todo.length - added - retried;
    reporter.info(`sweep ${sweep.id} (${sweep.name}): ${sweep.cells.length} cells, ${sweep.cells.length - todo.length} completed; ${added} queued now` +
      (retried ? `, ${retried} failed ones queued again` : "") + (joined ? `, ${joined} already queued (joined the running sweep)` : ""));
    if (o.wait === false) {
      const s = await queuedSweep(store, queue, sweep.id);
      if (o.json) console.log(JSON.stringify({ ...statusJson(s), queued: added, requeued: retried, store: redactUrl(o.store) }));
      else reporter.info(`start workers with: ecotone worker --store ${redactUrl(o.store)}; follow with: ecotone sweep status ${sweep.id} --store ${redactUrl(o.store)}`);
      return;
    }
    const s = await follow(store, queue, sweep.id, reporter);
    if (!s) {
      process.exitCode = 130;
      return;
    }
    const out = join(storeFolder(o.store), "exports", sweep.id);
    const { files, results, notes } = await exportSweep(store, sweep.id, out, sweep.diagram);
    for (const note of notes) reporter.info(note);
    if (o.json) console.log(JSON.stringify({ ...resultsJson(results), queue: statusJson(s).cells, store: redactUrl(o.store), exports: files }));
    else console.log(render(results, redactUrl(o.store), out));
    if (results.failed > 0 || s.counts.failed > 0) {
      reporter.info(`${s.counts.failed} cell(s) failed after their retries; run the same command again to queue them again`);
      process.exitCode = 1;
    }
  } finally {
    await queue?.close();
    await store.close().catch(() => {});
  }
}

/** Shows progress across every worker until every cell is final; undefined when stopped by Ctrl-C (the workers go on). */
async function follow(store: Store, queue: Queue, sweepId: string, reporter: ReturnType<typeof defaultReporter>): Promise<QueuedSweep | undefined> {
  const redact = redactor(store.url);
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  const seen = new Map<string, string>();
  let started = false, down = false;
  try {
    while (!ac.signal.aborted) {
      let s: QueuedSweep;
      try {
        s = await queuedSweep(store, queue, sweepId);
        if (down) reporter.info("database reachable again");
        down = false;
      } catch (e) {
        if (e instanceof EcotoneError && e.code === "E_NOT_FOUND") throw e;
        if (!down) reporter.info(`database unreachable (${redact((e as Error).message)}); still waiting`);
        down = true;
        await sleep(waitDefaults.pollMs * 2, ac.signal);
        continue;
      }
      if (!started) {
        reporter.start(`sweep ${s.sweep.name}`, s.steps.total);
        started = true;
      }
      for (const c of s.cells) {
        const what = c.state === "running" ? `running on ${c.worker ?? "a worker"}` : c.state;
        if (seen.get(c.key) === what) continue;
        const first = !seen.has(c.key);
        seen.set(c.key, what);
        if (first && (c.state === "queued" || c.state === "completed")) continue; // the summary line said so
        reporter.info(`cell ${c.index + 1}/${s.cells.length} ${line(c)}`);
      }
      reporter.update(s.steps.done);
      if (s.done) {
        reporter.stop();
        await settleSweep(store, queue, sweepId);
        return s;
      }
      await sleep(waitDefaults.pollMs, ac.signal);
    }
    reporter.stop();
    reporter.info(`stopped waiting; the workers go on. Follow with: ecotone sweep status ${sweepId} --store ${store.url}`);
    return undefined;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
}

/** `ecotone sweep status <id>`: every cell's state across the workers. */
export async function sweepStatus(id: string | undefined, o: { store: string; json?: boolean }): Promise<void> {
  if (!id) throw new EcotoneError("E_ARGS", "sweep status: give the sweep id, e.g. ecotone sweep status s0123456789a --store postgres://...");
  needPostgres(o.store, "sweep status");
  const store = await openStore(o.store, { readonly: true });
  let queue: Queue | undefined;
  try {
    queue = await Queue.open(o.store);
    const s = await queuedSweep(store, queue, id);
    if (o.json) console.log(JSON.stringify(statusJson(s)));
    else console.log(statusText(s));
    if (s.counts.failed > 0) process.exitCode = 1;
  } finally {
    await queue?.close();
    await store.close().catch(() => {});
  }
}

const params = (p: Record<string, unknown>) => Object.entries(p).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" ") || "(base)";
const tries = (c: QueuedCell) => (c.maxAttempts === null ? "" : `${c.attempts}/${c.maxAttempts}`);

function line(c: QueuedCell): string {
  const at = c.worker ? ` on ${c.worker}` : "";
  const what = c.state === "completed" ? `completed${at} (run ${c.runId})`
    : c.state === "running" ? `running${at}, try ${tries(c)}`
    : c.state === "retrying" ? `failed on try ${tries(c)}, to be retried: ${c.error ?? "?"}`
    : c.state === "failed" ? `FAILED after ${tries(c) || "its"} tries: ${c.error ?? "?"}`
    : "queued";
  return `${params(c.params)} → ${what}`;
}

function statusJson(s: QueuedSweep) {
  return {
    sweepId: s.sweep.id, name: s.sweep.name, status: s.sweep.status, done: s.done, counts: s.counts, steps: s.steps,
    cells: s.cells.map((c) => ({ index: c.index, params: c.params, state: c.state, attempts: c.attempts, maxAttempts: c.maxAttempts, worker: c.worker, runId: c.runId, step: c.step, steps: c.steps, error: c.error })),
  };
}

function statusText(s: QueuedSweep): string {
  const head = ["cell", "params", "state", "tries", "steps", "worker", "run", "error"];
  const rows = s.cells.map((c) => [String(c.index + 1), params(c.params), c.state, tries(c), `${c.step}/${c.steps}`, c.worker ?? "", c.runId ?? "", c.error ?? ""]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]!))).join("  ");
  const c = s.counts;
  return [
    `sweep ${s.sweep.id} (${s.sweep.name}): ${s.done ? (c.failed ? "finished with failures" : "completed") : "in progress"}; ` +
      `${c.completed} completed, ${c.running} running, ${c.queued} queued, ${c.retrying} to be retried, ${c.failed} failed of ${s.cells.length}; ` +
      `${s.steps.done}/${s.steps.total} steps`,
    "",
    fmt(head),
    ...rows.map(fmt),
  ].join("\n");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener("abort", done); resolve(); }
    signal.addEventListener("abort", done, { once: true });
  });
}
