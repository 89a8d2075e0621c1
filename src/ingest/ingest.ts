// `ecotone ingest`: a run trained anywhere, read from its probe log, measured by the lab's own
// metrics and stored as a run marked as ingested, which ui, report, plot and compare show like any
// other. Two ways to store it (docs/probe-log.md):
//   - a finished log is validated whole while it streams, and nothing is written unless every line
//     is sound; then the run is written at once (every checkpoint in one transaction);
//   - with `follow`, a log still being written is tailed and each checkpoint is stored as it
//     completes, the run "running" (live on the dashboard) and "interrupted" when stopped, until
//     the schedule's last checkpoint is in. Ingesting the same manifest again continues an
//     interrupted run: the log is read again from the start and the stored checkpoints rewritten.
import { randomUUID } from "node:crypto";
import { FORMAT } from "./format.ts";
import { summarise } from "../metrics/bootstrap.ts";
import { runDescriptors, type MetricDescriptor } from "../metrics/live/index.ts";
import { livenessDefaults, describeOwner, type MetricPoint, type RunStatus, type Store } from "../store/index.ts";
import type { RunPlan } from "../train/plan.ts";
import type { RunSummary } from "../train/summary.ts";
import { EcotoneError, specError } from "../util/errors.ts";
import type { Checkpoint } from "./assemble.ts";
import { linkBaselines, type Linked } from "./baselines.ts";
import { loadManifest, type LoadedManifest } from "./manifest.ts";
import { Measurer, type Skipped } from "./measure.ts";
import { ingestPlan } from "./plan.ts";
import { shown, streamLog } from "./stream.ts";
import { HF_COMMON, HF_PREFIX, hfDescriptor, readTrainerState } from "./trainer-state.ts";

export const ingestDefaults = {
  pollMs: 500, // --follow: how often a record file is checked for new lines
  maxProblems: 10, // problems reported before reading stops (the first one stops a followed log)
  maxWarnings: 20, // warnings kept in the run's summary (every one is reported as it occurs)
};

export interface IngestOptions {
  store: Store;
  follow?: boolean; // tail a log still being written; store each checkpoint as it completes
  signal?: AbortSignal; // stops following: the run stays interrupted, resumable
  pollMs?: number;
  idleMs?: number; // follow: stop (interrupted) after this long without a new record
  trainerState?: string; // a Hugging Face trainer_state.json (overrides the manifest's)
  again?: boolean; // a new run even if this manifest was ingested before
  onWarning?: (line: string) => void;
  onCheckpoint?: (step: number, last: number) => void; // progress: a checkpoint measured (and, following, stored)
}

export interface IngestResult {
  summary: RunSummary;
  reused: boolean; // the manifest had been ingested completely before: its run, untouched
  resumed: boolean; // an interrupted ingest of it was continued
  warnings: string[];
  final?: Checkpoint; // the last checkpoint's outputs (the weighted-sum baselines read them)
}

export async function ingest(manifest: string, o: IngestOptions): Promise<IngestResult> {
  return ingestLoaded(loadManifest(manifest), o);
}

export async function ingestLoaded(lm: LoadedManifest, o: IngestOptions): Promise<IngestResult> {
  const { manifest: m, layout } = lm;
  const warnings: string[] = [];
  const warn = (line: string) => { if (warnings.length < ingestDefaults.maxWarnings) warnings.push(line); o.onWarning?.(line); };
  const store = o.store;

  const mine = (await store.listRuns({ name: m.name })).filter((r) => r.specHash === lm.hash);
  const done = mine.find((r) => r.status === "completed");
  if (done && !o.again) return { summary: done.summary as RunSummary, reused: true, resumed: false, warnings };
  const busy = mine.find((r) => r.status === "running");
  if (busy && !o.again) throw new EcotoneError("E_STORE", `${shown(lm.path)} is being ingested as run ${busy.id} by ${busy.owner ? describeOwner(busy.owner) : "another process"}: wait for it, or stop it, then ingest again`);
  const resumable = o.again ? undefined : mine.find((r) => r.status === "interrupted" || r.status === "stale");

  const base = m.baselines ? await linkBaselines(lm, o, ingestLoaded) : undefined;
  const plan = ingestPlan(lm, { baselines: base !== undefined });
  const measurer = new Measurer(plan, { baselines: base !== undefined, reference: base?.reference, specialist: base?.specialist });
  const statePath = o.trainerState ?? lm.trainerState;
  const hf = statePath && !o.follow ? readTrainerState(statePath) : undefined; // a followed one is read again at each checkpoint
  const descriptors: MetricDescriptor[] = [
    ...runDescriptors(plan, measurer.defs),
    ...(statePath ? [...new Set([...HF_COMMON, ...(hf ?? []).map((p) => p.key.slice(HF_PREFIX.length))])].map(hfDescriptor) : []),
  ];
  const finalStep = m.checkpoints?.at(-1) ?? m.schedule.steps;
  const runId = resumable?.id ?? "r" + randomUUID().replace(/-/g, "").slice(0, 11);
  const newRun = {
    id: runId, name: m.name, specJson: JSON.stringify(storedSpec(lm, plan, measurer.skipped, base, statePath)), specHash: lm.hash,
    seeds: layout.seeds.length, steps: m.schedule.steps, volatility: plan.schedule.volatility, envs: layout.trained, metrics: descriptors,
  };
  /** Takes the run for this process: a new one, or the interrupted one continued. */
  const open = async () => {
    if (resumable) await store.claimRun(runId);
    else await store.createRun(newRun);
    await store.writePhases(runId, plan.schedule.phases);
  };

  type Last = { step: number; values: Record<string, Float64Array>; cp: Checkpoint };
  let last: Last | undefined;
  let previous = -Infinity; // the checkpoint before: trainer-log points in (previous, step] go with step
  const kept: MetricPoint[] = []; // a finished log: every point, written at the end
  const hfBetween = (from: number, to: number): MetricPoint[] => {
    let points = hf;
    if (statePath && o.follow) {
      try { points = readTrainerState(statePath); } catch { points = []; } // being rewritten: next time
    }
    return (points ?? []).filter((p) => p.step > from && p.step <= to);
  };

  let beat: NodeJS.Timeout | undefined;
  if (o.follow) {
    await open();
    beat = setInterval(() => void store.heartbeatRun(runId).catch(() => {}), livenessDefaults.heartbeatMs);
    beat.unref();
  }
  let result;
  try {
    result = await streamLog(lm, {
      follow: o.follow ?? false, pollMs: o.pollMs ?? ingestDefaults.pollMs, idleMs: o.idleMs, signal: o.signal,
      maxProblems: o.follow ? 1 : ingestDefaults.maxProblems, warn,
      onCheckpoint: async (cp) => {
        const { values, points, skippedNow } = measurer.measure(cp);
        for (const s of skippedNow) warn(`metric ${s.metric} needs ${s.needs}, which a probe log does not hold: not measured from step ${cp.step} on`);
        points.push(...hfBetween(previous, cp.step));
        if (o.follow) await store.writeCheckpoint(runId, cp.step, points);
        else kept.push(...points);
        previous = cp.step;
        last = { step: cp.step, values, cp };
        o.onCheckpoint?.(cp.step, finalStep);
        return cp.step === finalStep;
      },
    });
  } catch (e) {
    if (o.follow) await store.setStatus(runId, "interrupted").catch(() => {});
    throw e;
  } finally {
    clearInterval(beat);
  }
  const at = last as Last | undefined; // assigned in the callback
  const complete = at?.step === finalStep;

  if (result.problems.length > 0) {
    if (o.follow) await store.setStatus(runId, "interrupted").catch(() => {});
    const more = result.stopped === "problems" && result.problems.length >= ingestDefaults.maxProblems ? " (reading stopped here)" : "";
    const left = o.follow ? `; run ${runId} keeps the ${at ? `checkpoints up to step ${at.step}` : "no checkpoint"} stored before, interrupted: fix the log and ingest again to continue` : "; nothing was stored";
    throw specError(`${shown(lm.path)}: ${result.problems.length} problem${result.problems.length > 1 ? "s" : ""} in the probe log${more}${left}\n  ` + result.problems.join("\n  "));
  }
  if (!at) {
    if (o.follow) {
      await store.setStatus(runId, "interrupted");
      return { summary: summarize(runId, "interrupted", {}, 0, plan, measurer, lm, warnings, result.records, base), reused: false, resumed: !!resumable, warnings };
    }
    throw specError(`${shown(lm.path)}: the probe log has no complete checkpoint (${result.records} records read in ${lm.records.map(shown).join(", ")}); nothing was stored`);
  }
  if (!complete) warn(`the log ends at step ${at.step}; the schedule runs to ${finalStep}: stored as interrupted, ingest the manifest again (or with --follow) once the log has grown`);
  const status: RunStatus = complete ? "completed" : "interrupted";
  const summary = summarize(runId, status, at.values, at.step, plan, measurer, lm, warnings, result.records, base);
  try {
    if (!o.follow) {
      await open();
      await store.writeCheckpoint(runId, at.step, kept);
    }
    if (complete) await store.finishRun(runId, "completed", summary);
    else await store.setStatus(runId, "interrupted");
  } catch (e) {
    await store.setStatus(runId, "interrupted").catch(() => {});
    throw e;
  }
  return { summary, reused: false, resumed: !!resumable, warnings, final: at.cp };
}

/** The stored "spec" of an ingested run: what the manifest said, marked as ingested (readers look for `ingested`). */
function storedSpec(lm: LoadedManifest, plan: RunPlan, skipped: Skipped[], base: Linked | undefined, trainerState: string | undefined) {
  const { manifest: m, layout } = lm;
  const env = (name: string) => { const e = m.environments.find((x) => x.name === name)!; return { name, ...(e.objective && { objective: e.objective }), ...(e.cue !== undefined && { cue: e.cue }) }; };
  return {
    name: m.name,
    ingested: { manifest: lm.path, format: FORMAT, records: lm.records, ...(trainerState && { trainerState }), skipped },
    ...(m.description && { description: m.description }),
    seeds: layout.seeds.length, seedIds: layout.seeds,
    envs: layout.trained.map(env), novel: layout.all.slice(layout.trained.length).map(env),
    options: m.options,
    probes: { n: layout.N, counterfactual: layout.cfIds.length, ids: m.probes.length },
    schedule: { kind: plan.schedule.kind, steps: m.schedule.steps, phases: m.schedule.phases },
    ...(m.checkpoints && { checkpoints: m.checkpoints }),
    window: plan.windowSteps,
    ...(base && { baselines: base.runIds }),
    ...(m.source && { source: m.source }),
  };
}

/** The run's summary, as a trained run's (src/train/run.ts): metadata, every metric at the last checkpoint, what each metric adds; and how it was ingested. */
function summarize(runId: string, status: RunStatus, m: Record<string, Float64Array>, lastStep: number, plan: RunPlan, measurer: Measurer, lm: LoadedManifest, warnings: string[], records: number, base: Linked | undefined): RunSummary {
  const final = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, summarise(v)]));
  const headlines = new Set(runDescriptors(plan, measurer.defs).filter((d) => d.headline).map((d) => d.key));
  const summary: RunSummary = {
    runId, name: lm.manifest.name, status, steps: lm.manifest.schedule.steps, seeds: lm.layout.seeds.length, volatility: plan.schedule.volatility,
    performance: {}, reward: {}, classification: null, final,
    headline: Object.fromEntries(Object.entries(final).filter(([k]) => headlines.has(k))),
    baselines: base?.runIds.mixture ? { mixture: base.runIds.mixture, specialists: base.runIds.specialists } : null,
    diverged: [], env: plan.world.facts(), lastStep,
    ingested: { manifest: lm.path, format: FORMAT, records, recordFiles: lm.records, skipped: measurer.skipped, warnings, ...(base && { baselines: base.runIds }) },
  };
  for (const d of measurer.defs) if (d.summary && Object.keys(m).length > 0) Object.assign(summary, d.summary(m, lastStep, plan));
  return summary;
}
