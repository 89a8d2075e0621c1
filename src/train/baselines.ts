// The weighted-sum test's baselines, trained by ecotone itself with the same world, seeds (hence
// the same initialisations), and budget: one stationary-mixture model and one specialist per
// environment. A completed baseline already in the store with the same spec is reused.
import { init } from "@jax-js/jax";
import { loadSpecPlugins } from "../components/plugins.ts";
import { parseSpec } from "../experiment/load.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import { accuracyKey } from "../metrics/live/index.ts";
import type { Store } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { makePlan, specHash } from "./plan.ts";
import type { RunOptions, RunSummary } from "./summary.ts";
import { ShardTrainer, type Reference } from "./shard.ts";
import { unpackState } from "./state.ts";

export interface BaselineSpecs {
  mixture: ExperimentSpec;
  specialists: ExperimentSpec[]; // in the order of spec.envs
}

/** The baselines of a spec: the same experiment under a mixture schedule, and on each environment alone. */
export function baselineSpecs(spec: ExperimentSpec): BaselineSpecs {
  const base = { ...spec, baselines: false };
  return {
    mixture: parseSpec({ ...base, name: `${spec.name}/mixture`, schedule: { kind: "mixture" } }),
    specialists: spec.envs.map((e) => parseSpec({ ...base, name: `${spec.name}/specialist:${e.name}`, schedule: { kind: "blocks", phaseSteps: spec.train.steps, order: [e.name] } })),
  };
}

export interface Baselines {
  runIds: { mixture: string; specialists: Record<string, string> };
  reference: Reference; // final probe outputs, whole ensemble
  specialistCurves: { steps: number[]; acc: Float64Array[] }[]; // per env: accuracy on it over checkpoints, [step] → [seed]
}

/** A baseline run stopped before it finished (Ctrl-C): the main run stops too, resumable. */
export class BaselineInterrupted extends Error {
  constructor(readonly runId: string) {
    super(`baseline run ${runId} was interrupted`);
  }
}

/** How the runner trains a run: a fresh one, or the rest of an interrupted one. */
export interface Runner {
  run(s: ExperimentSpec, o: RunOptions): Promise<RunSummary>;
  resume(runId: string, o: RunOptions): Promise<RunSummary>;
}

/**
 * Trains (or finds in the store) every baseline, then reads back what the main run compares
 * against. A completed baseline of the same spec is reused; an interrupted one is resumed, so an
 * interrupt during the baselines loses nothing. Throws BaselineInterrupted when one is stopped.
 */
export async function ensureBaselines(spec: ExperimentSpec, o: RunOptions, runner: Runner): Promise<Baselines> {
  const specs = baselineSpecs(spec);
  const one = async (s: ExperimentSpec): Promise<string> => {
    const hash = specHash(s);
    const mine = (await o.store.listRuns({ name: s.name })).filter((r) => r.specHash === hash);
    const done = mine.find((r) => r.status === "completed");
    if (done) return done.id;
    const stopped = mine.find((r) => r.status === "interrupted");
    const r = stopped ? await runner.resume(stopped.id, o) : await runner.run(s, o);
    if (r.status !== "completed") throw new BaselineInterrupted(r.runId);
    return r.runId;
  };
  const mixture = await one(specs.mixture);
  const specialists: string[] = [];
  for (const s of specs.specialists) specialists.push(await one(s));
  const curves = await Promise.all(specialists.map(async (id, e) => {
    const env = spec.envs[e]!.name;
    const pts = await o.store.metrics(id, { keys: [accuracyKey(env)] });
    const steps = [...new Set(pts.map((p) => p.step))].sort((a, b) => a - b);
    const acc = steps.map((t) => Float64Array.from({ length: spec.seeds }, (_, g) => pts.find((p) => p.step === t && p.seed === g)?.value ?? NaN));
    return { steps, acc };
  }));
  return {
    runIds: { mixture, specialists: Object.fromEntries(spec.envs.map((e, i) => [e.name, specialists[i]!])) },
    reference: { mixture: await finalOutputs(o.store, mixture), specialists: await Promise.all(specialists.map((id) => finalOutputs(o.store, id))) },
    specialistCurves: curves,
  };
}

/** A stored run's models, restored from its last saved state, as one in-process shard. */
export async function loadModels(store: Store, runId: string): Promise<{ trainer: ShardTrainer; spec: ExperimentSpec; step: number }> {
  await init("wasm");
  const row = await store.getRun(runId);
  if (!row) throw new EcotoneError("E_NOT_FOUND", `no run with id ${runId}`);
  const stored = JSON.parse(row.specJson);
  await loadSpecPlugins(stored);
  const spec = parseSpec(stored, `run ${row.id}`);
  const saved = await store.loadState(row.id);
  if (!saved) throw new EcotoneError("E_STORE", `run ${row.id} has no saved models`);
  const trainer = new ShardTrainer(makePlan(spec), Array.from({ length: spec.seeds }, (_, g) => g));
  const blob = saved.state;
  trainer.restore(unpackState(blob), saved.step);
  return { trainer, spec, step: saved.step };
}

async function finalOutputs(store: Store, runId: string): Promise<Float32Array> {
  const { trainer } = await loadModels(store, runId);
  const out = trainer.outputs();
  trainer.dispose();
  return out;
}
