// `ecotone run`: train, store, export, print the per-environment performance with its spread.
import { join } from "node:path";
import { checkBudget } from "../../experiment/budget.ts";
import { loadSpec, parseSpec } from "../../experiment/load.ts";
import { applyOverrides } from "../../experiment/overrides.ts";
import { exportRun } from "../../export/run.ts";
import { describeKey } from "../../metrics/live/index.ts";
import { openStore, redactUrl, storeFolder, StoreFault, type KeepStates } from "../../store/index.ts";
import { resumeRun, runExperiment, type RunSummary } from "../../train/run.ts";
import { EcotoneError } from "../../util/errors.ts";
import { resolveRunId } from "./_runs.ts";
import { defaultReporter } from "../reporter.ts";

interface Opts { store: string; set?: string[]; seeds?: number; steps?: number; threads?: number; resume?: string; out?: string; json?: boolean; baselines?: boolean; allowLarge?: boolean; keepStates?: KeepStates }

export default async function (specPath: string | undefined, o: Opts): Promise<void> {
  if (!specPath && !o.resume) throw new EcotoneError("E_ARGS", "run: give a spec file, or --resume <runId>");
  if (o.resume && (specPath || o.seeds || o.steps || o.baselines || o.set?.length))
    throw new EcotoneError("E_ARGS", "run --resume continues the stored spec: it takes no spec file, --seeds, --steps or --baselines, nor path=value overrides");
  // Validate everything before the store is touched: a bad spec leaves nothing behind.
  let spec = specPath && !o.resume ? applyOverrides(await loadSpec(specPath), o.set ?? [], specPath) : undefined;
  if (spec && (o.seeds || o.steps || o.baselines))
    spec = parseSpec({ ...spec, seeds: o.seeds ?? spec.seeds, train: { ...spec.train, steps: o.steps ?? spec.train.steps }, baselines: o.baselines || spec.baselines }, specPath);
  if (spec) checkBudget(spec, { allowLarge: o.allowLarge, source: specPath });
  const store = await openStore(o.store);
  const reporter = defaultReporter();
  const ac = new AbortController();
  let interrupts = 0, code = 130;
  const onSigint = (signal: NodeJS.Signals) => {
    code = signal === "SIGTERM" ? 143 : 130; // 128 + the signal's number, as shells report it
    if (++interrupts > 1) process.exit(code); // a second Ctrl-C: stop now (the store is still consistent)
    reporter.stop();
    reporter.info("interrupt: finishing the current step and saving; press Ctrl-C again to quit at once");
    ac.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  let summary: RunSummary;
  try {
    let label = spec?.name ?? `resume ${o.resume}`;
    let started = false;
    const onProgress = (step: number, total: number) => {
      if (!started) { reporter.start(label, total); started = true; }
      reporter.update(step);
    };
    const onStage = (what: string) => {
      if (started) reporter.stop();
      [label, started] = [what, false];
    };
    const common = { store, threads: o.threads, signal: ac.signal, onProgress, onStage, allowLarge: o.allowLarge, keepStates: o.keepStates };
    summary = spec ? await runExperiment(spec, common) : await resumeRun(await resolveRunId(store, o.resume!), common);
    reporter.stop();
  } catch (e) {
    reporter.stop();
    await store.close().catch(() => {});
    // A full or read-only disk stopped the run: it is resumable, and the hint names this store.
    if (e instanceof StoreFault && e.runId !== undefined) throw new EcotoneError("E_STORE", `${e.message} --store ${redactUrl(o.store)}`);
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
  // Where the time went: on stderr only. It differs run to run, so --json (the run's results) leaves it out.
  const { timing: t, ...results } = summary;
  if (t && t.trainingSeconds + t.metricsSeconds > 0)
    reporter.info(`time: ${t.wallSeconds.toFixed(1)} s; in the training threads ${t.trainingSeconds.toFixed(1)} s of training, ${t.metricsSeconds.toFixed(1)} s of live metrics (${(100 * t.metricsShare).toFixed(0)}%), ${t.stateSeconds.toFixed(1)} s saving state; ${t.storeSeconds.toFixed(1)} s writing the store (main thread)`);
  const out = o.out ?? join(storeFolder(o.store), "exports", summary.runId);
  const { files } = await exportRun(store, summary.runId, out);
  await store.close();
  if (o.json) {
    console.log(JSON.stringify({ ...results, store: redactUrl(o.store), exports: files }));
  } else {
    console.log(render(results, redactUrl(o.store), out));
  }
  if (summary.status === "interrupted") process.exitCode = code;
  // Exit status 3: the run finished but every seed diverged (1 is a user error, 2 a bug, 130/143 a signal).
  if (summary.status === "diverged") {
    process.stderr.write(`ecotone: every seed of run ${summary.runId} diverged: nothing was learned (try a smaller lr)\n`);
    process.exitCode = 3;
  }
}

const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "  —  ");

export function render(s: RunSummary, store: string, out: string): string {
  const lines = [
    `run ${s.runId} (${s.name}): ${s.status} after ${s.lastStep}/${s.steps} steps, ${s.seeds} seeds, volatility ${s.volatility.toFixed(4)} switches/step` +
      (s.engine ? `; trained by ${s.engine.engine === "fused" ? "the fused kernel" : `jax-js${s.engine.reason ? ` (${s.engine.reason})` : ""}`}` : ""),
    `world: cue decodes the environment with accuracy ${f(s.env.cueDecodability)}` + (s.env.labelAgreement === null ? "" : `; first two teachers agree on ${(100 * s.env.labelAgreement).toFixed(1)}% of inputs`),
    "",
    `environment        accuracy (mean ± sd)    expected reward (mean ± sd)   n`,
  ];
  for (const [env, p] of Object.entries(s.performance)) {
    const r = s.reward[env]!;
    lines.push(`${env.padEnd(18)} ${f(p.mean)} ± ${f(p.sd)}          ${f(r.mean)} ± ${f(r.sd)}                 ${p.n}`);
  }
  const c = s.classification;
  if (c) {
    lines.push("", `class: ${c.label}  (soft scores, mean [95% bootstrap CI] over ${c.n} seeds)`);
    for (const [k, v] of Object.entries(c.scores)) lines.push(`  ${k.padEnd(22)} ${f(v)} [${f(c.ci[k as keyof typeof c.ci].lo)}, ${f(c.ci[k as keyof typeof c.ci].hi)}]`);
  }
  // The headline metrics (their descriptors say which); everything is in the store, the exports and --json.
  const shown = Object.entries(s.headline).filter(([, v]) => v.n > 0);
  if (shown.length) {
    lines.push("", "metric (last checkpoint)       mean ± sd");
    for (const [k, v] of shown) lines.push(`  ${k.padEnd(28)} ${f(v.mean).padStart(6)} ± ${f(v.sd)}   ${describeKey(k).title}`);
  }
  if (s.diverged.length) {
    lines.push("", `diverged: ${s.diverged.length} seed(s)`);
    for (const d of s.diverged) lines.push(`  seed ${d.seed}: ${d.what} at step ${d.step}, env ${d.env}`);
  }
  lines.push("", `stored in ${store}; exports in ${out}`);
  if (s.status === "interrupted") lines.push(`resume with: ecotone run --resume ${s.runId} --store ${store}`);
  return lines.join("\n");
}
