// `ecotone sweep`: expand and validate the sweep, run its missing cells in parallel, export the
// results (cells.csv, cells.json, phase diagram) and print them. Running the same command again
// resumes a killed sweep, or just reports a finished one.
import { join } from "node:path";
import { isPostgresUrl, openStore, redactUrl, storeFolder } from "../../store/index.ts";
import { exportSweep } from "../../export/sweep.ts";
import { resultsJson, type SweepResults } from "../../sweep/results.ts";
import { runSweep, type CellEvent } from "../../sweep/runner.ts";
import { loadSweep } from "../../sweep/spec.ts";
import { EcotoneError } from "../../util/errors.ts";
import { defaultReporter } from "../reporter.ts";

interface Opts { store: string; set?: string[]; workers?: number; json?: boolean; quick?: boolean; allowLarge?: boolean; queue?: boolean; wait?: boolean; lease?: number; retries?: number }

export default async function (specPath: string, id: string | undefined, o: Opts): Promise<void> {
  // `ecotone sweep status <id>`: a queued sweep across its workers (src/queue).
  if (specPath === "status" && id !== undefined) return (await import("./_sweep-queue.ts")).sweepStatus(id, o);
  if (id !== undefined) throw new EcotoneError("E_ARGS", `sweep: unexpected argument ${id} (did you mean ecotone sweep status ${id}?)`);
  // Validate every cell before the store is touched: a bad spec leaves nothing behind.
  const sweep = await loadSweep(specPath, { quick: o.quick, allowLarge: o.allowLarge, set: o.set });
  if (o.queue) return (await import("./_sweep-queue.ts")).queueSweep(sweep, o, render); // cells go to `ecotone worker` processes
  if (isPostgresUrl(o.store)) {
    // cells that workers hold or will claim would be trained twice (once here, once there)
    const { liveQueuedCells, redactor } = await import("../../queue/queue.ts");
    const live = await liveQueuedCells(o.store, sweep.id, sweep.cells.map((c) => c.key)).catch((e: Error) => {
      throw new EcotoneError("E_STORE", `cannot open the store ${redactUrl(o.store)}: ${redactor(o.store)(e.message)}`);
    });
    if (live > 0)
      throw new EcotoneError("E_ARGS", `sweep ${sweep.id}: ${live} of its ${sweep.cells.length} cells are queued for workers or running on them; follow it with ecotone sweep status ${sweep.id} --store ${redactUrl(o.store)}, or add --queue to join it (running it here too would train those cells twice)`);
  }
  const store = await openStore(o.store);
  const reporter = defaultReporter();
  const tty = process.stderr.isTTY === true && !process.env.CI;
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130); // a second Ctrl-C: stop now (cells resume next time)
    reporter.stop();
    reporter.info("interrupt: stopping the running cells at their next step; press Ctrl-C again to quit at once");
    ac.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  const n = sweep.cells.length;
  const onCell = (ev: CellEvent) => {
    const what = ev.type === "completed" ? `${ev.label} (run ${ev.runId})` : ev.type === "failed" ? `FAILED: ${ev.error}` : `interrupted (run ${ev.runId})`;
    const line = `cell ${ev.index + 1}/${n} ${ev.type}: ${paramsText(ev.cell.params)} → ${what}`;
    if (!tty) reporter.info(line);
    else if (ev.type === "failed") reporter.info("\r\x1b[2K" + line); // over the bar, which redraws below
  };
  let outcome, shown = -1;
  try {
    outcome = await runSweep(sweep, {
      store, storeUrl: o.store, workers: o.workers, signal: ac.signal, onCell, allowLarge: o.allowLarge,
      onStart: (s) => {
        reporter.info(`sweep ${sweep.id} (${sweep.name}): ${s.toRun} of ${s.cells} cells to run, ${s.workers} at a time`);
        reporter.start(`sweep ${sweep.name}`, s.total);
        reporter.update(s.done);
      },
      onProgress: (done) => done !== shown && reporter.update((shown = done)),
    });
    reporter.stop();
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
  const out = join(storeFolder(o.store), "exports", sweep.id);
  const { files, results, notes } = await exportSweep(store, sweep.id, out, sweep.diagram);
  await store.close();
  for (const note of notes) reporter.info(note);
  if (o.json) console.log(JSON.stringify({ ...resultsJson(results), ran: outcome.ran, resumed: outcome.resumed, store: redactUrl(o.store), exports: files }));
  else console.log(render(results, redactUrl(o.store), out));
  if (outcome.status === "interrupted") {
    reporter.info(`interrupted: run the same command again to finish the ${n - results.completed} remaining cells`);
    process.exitCode = 130;
  } else if (results.failed > 0) {
    reporter.info(`${results.failed} cell(s) failed; run the same command again to retry them`);
    process.exitCode = 1;
  }
}

const paramsText = (params: Record<string, unknown>) =>
  Object.entries(params).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" ") || "(base)";

const f = (v: number | null | undefined) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(3) : "  —  ");

/** A table a person reads: one line per cell, its class, best score and accuracy per environment. */
export function render(r: SweepResults, store: string, out: string): string {
  const envs = [...new Set(r.cells.flatMap((c) => Object.keys(c.performance)))];
  const head = ["cell", ...r.grid, ...r.zip, "label", "score", ...envs.map((e) => `acc:${e}`), "run"];
  const rows = r.cells.map((c) => {
    const score = c.label !== null && typeof c.scores[c.label] === "number" ? f(c.scores[c.label]) : "";
    const params = [...r.grid, ...r.zip].map((p) => { const v = c.params[p]; return typeof v === "object" ? JSON.stringify(v) : String(v); });
    const tail = c.status === "completed"
      ? [c.label ?? "", score, ...envs.map((e) => { const p = c.performance[e]; return p ? `${f(p.mean)} ± ${f(p.sd)}` : ""; }), c.runIds.join(" ")]
      : [c.status, c.error ?? "", ...envs.map(() => ""), c.runIds.join(" ")];
    return [String(c.index + 1), ...params, ...tail];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((x, i) => (i === row.length - 1 ? x : x.padEnd(widths[i]!))).join("  ");
  return [
    `sweep ${r.sweepId} (${r.name}): ${r.status}, ${r.completed}/${r.cells.length} cells completed, ${r.failed} failed`,
    "",
    fmt(head),
    ...rows.map(fmt),
    "",
    `stored in ${store}; exports in ${out}`,
  ].join("\n");
}
