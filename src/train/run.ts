// Runs an experiment end to end: plan, shards, checkpoints merged in seed order and written to
// the store (metrics and resumable state in one transaction), divergences recorded as they occur.
import { randomUUID } from "node:crypto";
import { init } from "@jax-js/jax";
import { loadSpecPlugins } from "../components/plugins.ts";
import { checkBudget } from "../experiment/budget.ts";
import { parseSpec } from "../experiment/load.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import { summarise } from "../metrics/bootstrap.ts";
import { runDescriptors, runMetrics, type MetricDef, type RunMetricDef } from "../metrics/live/index.ts";
import { describeOwner, livenessDefaults, storeError, StoreFault, type Divergence, type MetricPoint, type RunStatus, type Store } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { RunAggregator } from "./aggregate.ts";
import { BaselineInterrupted, ensureBaselines, type Baselines, type Runner } from "./baselines.ts";
import { chooseEngine } from "./fused.ts";
import { makePlan, specHash, type RunPlan } from "./plan.ts";
import type { ShardEvent } from "./shard.ts";
import { WriteGate } from "./gate.ts";
import { autoThreads, runShards, shardSeeds } from "./shards.ts";
import { packState, unpackState } from "./state.ts";
import type { RunOptions, RunSummary } from "./summary.ts";

export type { RunOptions, RunSummary } from "./summary.ts";

/** The metrics a run of `spec` measures: the registered ones it enables and does not skip. */
function metricsOf(plan: RunPlan): MetricDef[] {
  return runMetrics(plan, { baselines: plan.spec.baselines }).filter((d) => !plan.spec.metrics.skip.includes(d.kind));
}

/** Trains a new run of `spec` (after its baselines, when the spec asks for them) and stores it. */
export async function runExperiment(spec: ExperimentSpec, o: RunOptions): Promise<RunSummary> {
  checkBudget(spec, { allowLarge: o.allowLarge });
  const runId = "r" + randomUUID().replace(/-/g, "").slice(0, 11);
  const plan = makePlan(spec);
  chooseEngine(plan); // train.engine: fused on a run the kernel cannot train is refused before any work
  // The run exists before its baselines train, so an interrupt during them leaves a run to resume.
  await o.store.createRun({
    id: runId, name: spec.name, specJson: JSON.stringify(spec), specHash: specHash(spec),
    seeds: spec.seeds, steps: spec.train.steps, volatility: plan.schedule.volatility, envs: plan.envNames, sweepId: o.sweepId ?? null,
    metrics: runDescriptors(plan, metricsOf(plan)), keepStates: o.keepStates,
  });
  return owned(runId, o, async (lease) => {
    await o.store.writePhases(runId, plan.schedule.phases);
    const baselines = await withBaselines(plan, o);
    if (baselines === "interrupted") return stopped(runId, plan, o);
    o.onStage?.(spec.name);
    return train(runId, spec, 0, undefined, o, lease, baselines);
  });
}

/** This process's hold on a run: `lost` aborts when another process has taken the run over. */
interface Lease { lost: AbortSignal }

/**
 * Works on a run this process owns (created or claimed): a heartbeat tells other processes it is
 * alive. When `work` throws, the run is left resumable ("interrupted") if the store refused a
 * write (a full disk, a read-only file), and "failed" otherwise; a run taken over is left alone.
 */
async function owned<T>(runId: string, o: RunOptions, work: (lease: Lease) => Promise<T>): Promise<T> {
  const lost = new AbortController();
  const beat = setInterval(() => {
    o.store.heartbeatRun(runId).then((mine) => { if (!mine) lost.abort(); }, () => {}); // a failed write: the training sees it too
  }, livenessDefaults.heartbeatMs);
  beat.unref();
  try {
    return await work({ lost: lost.signal });
  } catch (thrown) {
    const e = storeError(thrown, o.store.url); // a full disk, a read-only file...: a StoreFault
    if (!(e instanceof TakenOver)) {
      const settle = () => e instanceof StoreFault ? o.store.setStatus(runId, "interrupted") : o.store.finishRun(runId, "failed", { error: (e as Error).message });
      // A full disk may refuse this too: make room (the journal) and try once more. If that fails,
      // the run reads as stale once this process ends, and is resumable all the same.
      await settle().catch(() => o.store.reclaim().then(settle)).catch(() => {});
    }
    throw e instanceof StoreFault ? e.stopped(runId) : e;
  } finally {
    clearInterval(beat);
  }
}

/** Another process took the run over (it thought this one dead): stop without touching it. */
class TakenOver extends EcotoneError {
  constructor(runId: string, owner: string | null) {
    super("E_STORE", `run ${runId} was taken over by ${owner ? describeOwner(owner) : "another process"}; stopped training it here`);
  }
}

/** The spec's baselines, trained or resumed or reused; "interrupted" if one of them was stopped. */
async function withBaselines(plan: RunPlan, o: RunOptions): Promise<Baselines | undefined | "interrupted"> {
  if (!plan.spec.baselines) return undefined;
  try {
    return await ensureBaselines(plan.spec, stage(o, "baseline"), baselineRunner);
  } catch (e) {
    if (e instanceof BaselineInterrupted) return "interrupted";
    throw e;
  }
}

/** Baselines are runs too: one whose process died (stale) is resumed rather than trained again; one that diverged fails the main run. */
const baselineRunner: Runner = {
  async run(s, o) {
    const stale = (await o.store.listRuns({ name: s.name, status: "stale" })).find((r) => r.specHash === specHash(s));
    return settledBaseline(stale ? await resumeRun(stale.id, o) : await runExperiment(s, o));
  },
  resume: async (runId, o) => settledBaseline(await resumeRun(runId, o)),
};

function settledBaseline(r: RunSummary): RunSummary {
  if (r.status === "diverged") throw new EcotoneError("E_DIVERGED", `baseline ${r.name} (${r.runId}): every seed diverged`);
  return r;
}

/** A run stopped during its baselines: interrupted at step 0, resumable. */
async function stopped(runId: string, plan: RunPlan, o: RunOptions): Promise<RunSummary> {
  await o.store.setStatus(runId, "interrupted");
  return summarize(runId, "interrupted", {}, [], 0, plan, metricsOf(plan));
}

/** Options for a baseline: its stage is announced, its progress is not mixed into the main bar; it keeps its final state (later runs reuse it). */
function stage(o: RunOptions, what: string): RunOptions {
  return { ...o, keepStates: undefined, onProgress: undefined, onStage: undefined, ...(o.onStage && { onProgress: o.onProgress, onStage: (n: string) => o.onStage!(`${what} ${n}`) }) };
}

/** Continues an interrupted run from its last checkpoint; finished checkpoints are neither lost nor redone. */
export async function resumeRun(runId: string, o: RunOptions): Promise<RunSummary> {
  const row = await o.store.getRun(runId);
  if (!row) throw new EcotoneError("E_NOT_FOUND", `no run with id ${runId}`);
  const stored = JSON.parse(row.specJson);
  await loadSpecPlugins(stored);
  const spec = parseSpec(stored, `run ${row.id}`);
  if (row.status === "completed" || row.status === "diverged") return row.summary as RunSummary;
  if (spec.plugins.length > 0 && specHash(spec) !== row.specHash)
    throw new EcotoneError("E_SPEC", `run ${row.id}: its plugins changed since it started (${spec.plugins.join(", ")}): resuming would mix two versions of a component; restore them, or start a new run`);
  await o.store.claimRun(row.id); // refused while another live process trains it; a stale run is taken over
  return owned(row.id, o, async (lease) => {
    const plan = makePlan(spec);
    const baselines = await withBaselines(plan, o);
    if (baselines === "interrupted") return stopped(row.id, plan, o);
    o.onStage?.(spec.name);
    const saved = await o.store.loadState(row.id);
    return train(row.id, spec, saved?.step ?? 0, saved?.state, o, lease, baselines);
  });
}

async function train(runId: string, spec: ExperimentSpec, from: number, blob: Uint8Array | undefined, o: RunOptions, lease: Lease, baselines?: Baselines): Promise<RunSummary> {
  await init("wasm");
  const plan = makePlan(spec);
  const S = spec.seeds, total = spec.train.steps;
  const threads = Math.max(1, Math.min(o.threads ?? autoThreads(S), S));
  const shards = shardSeeds(S, threads);
  let states: Float32Array[] | undefined;
  if (blob && from > 0) {
    const all = unpackState(blob); // safetensors, or the raw rows of an older store
    const per = all.length / S;
    states = shards.map((seeds) => all.slice(seeds[0]! * per, (seeds[seeds.length - 1]! + 1) * per));
  } else from = 0;

  const diverged = new Map<number, Divergence>((await o.store.divergences(runId)).map((d) => [d.seed, d]));
  const specialist = baselines?.specialistCurves.map((c) => ({ init: c.acc[0]!, final: c.acc[c.acc.length - 1]! }));
  const defs = metricsOf(plan);
  const agg = new RunAggregator(plan, defs.filter((d): d is RunMetricDef => d.level === "run"), specialist);
  if (from > 0) agg.replay(await o.store.metrics(runId));
  const pending = new Map<number, (ShardEvent & { type: "checkpoint" })[]>();
  const progress = shards.map(() => from);
  let last: Record<string, Float64Array> | undefined;
  let lastStep = from;
  const ms = { train: 0, metrics: 0, state: 0, store: 0 }, started = performance.now(); // summed over the training threads; store: this thread
  // Training stops early on Ctrl-C, on a write the store refused (nothing after it could be
  // kept), or when another process took the run over.
  const halt = new AbortController();
  for (const s of [o.signal, lease.lost]) s?.addEventListener("abort", () => halt.abort(), { once: true });
  if (o.signal?.aborted) halt.abort();
  const gate = new WriteGate(); // training waits for the store when it runs too far ahead of it
  halt.signal.addEventListener("abort", () => gate.open(), { once: true });
  let failure: unknown;
  let stoppedEarly: { step: number; env: string; reason: string } | undefined; // train.earlyStop fired
  let writes = Promise.resolve();
  const enqueue = (f: () => Promise<void>) =>
    (writes = writes.then(() => (failure === undefined ? f() : undefined)).catch((e: unknown) => { failure ??= e; halt.abort(); }));

  const onEvent = (k: number, ev: ShardEvent) => {
    if (ev.type === "progress") {
      progress[k] = ev.step;
      o.onProgress?.(Math.min(...progress), total);
    } else if (ev.type === "diverged") {
      const d = { seed: ev.seed, step: ev.step, env: ev.env, what: ev.what };
      if (!diverged.has(d.seed)) diverged.set(d.seed, d);
      enqueue(() => o.store.recordDivergence(runId, d));
      if (spec.train.earlyStop === "allDiverged" && diverged.size >= S && !stoppedEarly) {
        const lastOne = [...diverged.values()].reduce((a, b) => (b.step > a.step ? b : a)); // shards report in any order
        stoppedEarly = { step: lastOne.step, env: lastOne.env, reason: "every seed diverged" }; // nothing left to learn: stop here, not at the last step
        halt.abort();
      }
    } else {
      if (stoppedEarly && ev.step > stoppedEarly.step) return; // a worker ran past the stop before hearing of it
      if (ev.ms) for (const k of ["train", "metrics", "state"] as const) ms[k] += ev.ms[k];
      const got = pending.get(ev.step) ?? new Array(shards.length);
      got[k] = ev;
      pending.set(ev.step, got);
      if (got.filter(Boolean).length < shards.length) return;
      pending.delete(ev.step);
      const metrics = mergeShards(got.map((g) => g.metrics));
      const t0 = performance.now();
      const runPoints = agg.add(ev.step, metrics); // the run-level metrics, on this thread
      ms.metrics += performance.now() - t0;
      const t1 = performance.now();
      const state = got.every((g) => g.state) ? packState(concat(got.map((g) => g.state!)), S, got[0]!.layout!, ev.step) : undefined;
      const points = [...toPoints(ev.step, metrics), ...runPoints];
      last = metrics;
      ms.store += performance.now() - t1;
      enqueue(async () => {
        const t2 = performance.now();
        await o.store.writeCheckpoint(runId, ev.step, points, state);
        ms.store += performance.now() - t2;
        lastStep = ev.step;
        gate.written();
      });
    }
  };

  try {
    await runShards(plan, spec, shards, { threads, from, states, wantState: true, signal: halt.signal, onEvent, reference: baselines?.reference, gate });
  } finally {
    await writes; // never rejects: a failed write is kept in `failure`
  }
  if (failure !== undefined) throw failure;
  if (lease.lost.aborted) throw new TakenOver(runId, (await o.store.getRun(runId))?.owner ?? null);
  const interrupted = o.signal?.aborted === true && lastStep < total;
  if (!last) last = await lastMetrics(o.store, runId);
  // Every seed diverged: the run finished, but there is nothing to measure (the CLI exits with 3).
  const status: RunStatus = interrupted ? "interrupted" : diverged.size >= S ? "diverged" : "completed";
  const summary = summarize(runId, status, last, [...diverged.values()], lastStep, plan, defs);
  summary.baselines = baselines?.runIds ?? null;
  if (stoppedEarly) summary.earlyStop = stoppedEarly;
  if (interrupted) await o.store.setStatus(runId, "interrupted");
  else await o.store.finishRun(runId, status, summary);
  const s3 = (v: number) => Math.round(v) / 1000;
  const busy = ms.train + ms.metrics + ms.state;
  summary.timing = { // after finishRun: timings are this process's, not the run's stored facts
    trainingSeconds: s3(ms.train), metricsSeconds: s3(ms.metrics), stateSeconds: s3(ms.state), storeSeconds: s3(ms.store),
    metricsShare: busy > 0 ? Math.round((1000 * ms.metrics) / busy) / 1000 : NaN,
    wallSeconds: s3(performance.now() - started),
  };
  return summary;
}

function mergeShards(parts: Record<string, Float64Array>[]): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const key of Object.keys(parts[0]!)) out[key] = concat(parts.map((p) => p[key]!)) as Float64Array;
  return out;
}

function concat<T extends Float32Array | Float64Array>(parts: T[]): T {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new (parts[0]!.constructor as { new (n: number): T })(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function toPoints(step: number, metrics: Record<string, Float64Array>): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const [key, vals] of Object.entries(metrics))
    vals.forEach((v, seed) => points.push({ step, seed, key, value: Number.isFinite(v) ? v : null }));
  return points;
}

async function lastMetrics(store: Store, runId: string): Promise<Record<string, Float64Array>> {
  const step = await store.lastStep(runId);
  const out: Record<string, number[]> = {};
  if (step !== undefined)
    for (const p of await store.metrics(runId, { fromStep: step })) if (p.seed >= 0) (out[p.key] ??= [])[p.seed] = p.value ?? NaN;
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Float64Array.from(v, (x) => x ?? NaN)]));
}

/** The run's summary: metadata, every metric at the last checkpoint over seeds, and what the metrics add (performance, class...). */
function summarize(runId: string, status: RunStatus, m: Record<string, Float64Array>, diverged: Divergence[], lastStep: number, plan: RunPlan, defs: MetricDef[]): RunSummary {
  const { spec } = plan;
  const final = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, summarise(v)]));
  const headlines = new Set(runDescriptors(plan, defs).filter((d) => d.headline).map((d) => d.key));
  const summary: RunSummary = {
    runId, name: spec.name, status, steps: spec.train.steps, seeds: spec.seeds, volatility: plan.schedule.volatility,
    performance: {}, reward: {}, classification: null,
    final,
    headline: Object.fromEntries(Object.entries(final).filter(([k]) => headlines.has(k))),
    baselines: null,
    diverged: diverged.sort((a, b) => a.seed - b.seed),
    env: plan.world.facts(),
    lastStep,
    engine: chooseEngine(plan), // who trained it: the fused kernel, or jax-js and why
  };
  for (const d of defs) if (d.summary) Object.assign(summary, d.summary(m, lastStep, plan));
  return summary;
}
