// What a spec will cost, estimated before anything runs: a spec can pass the schema and still ask
// for more than a machine can hold (10¹² steps, 4096 seeds of 8 × 4096 units). Each estimate is
// refused with the field that drives it and the limit; `--allow-large` lifts the soft limits
// deliberately. Hard limits are where the engine itself would fail (Wasm32: 4 GiB per thread).
import { worlds } from "../envs/index.ts";
import { runDescriptors, runMetrics } from "../metrics/live/index.ts";
import { models } from "../models/index.ts";
import { EcotoneError } from "../util/errors.ts";
import type { ExperimentSpec } from "./schema.ts";
import type { RunPlan } from "../train/plan.ts";

export const budgetDefaults = {
  shardBytes: 3 * 2 ** 30, // hard: tensors one worker thread holds (Wasm32 memory is at most 4 GiB)
  memoryBytes: 8 * 2 ** 30, // soft: tensors of the whole ensemble, all threads together
  steps: 10_000_000, // soft: training steps (the schedule keeps one entry per step)
  rows: 50_000_000, // soft: metric values the run will store (checkpoints × seeds × keys)
  cells: 10_000, // soft: cells of one sweep
  threads: 2, // shards the estimate assumes: the work per thread (the cores of the machines we measure on)
};

export interface Estimate {
  params: number; // parameters of one model
  stateBytes: number; // parameters, optimiser moments and reference policy, all seeds
  shardBytes: number; // the largest shard's tensors: state, one batch's activations, probe outputs and activations
  activationBytes: number; // of which a training step's activations and their gradients (the largest shard)
  rows: number; // metric values stored over the run
  steps: number;
}

const GiB = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** The run's size, from its world and model alone (nothing is drawn). */
export function estimate(spec: ExperimentSpec, threads = budgetDefaults.threads): Estimate {
  const envNames = spec.envs.map((e) => e.name);
  const world = worlds.get(spec.world.kind).create(spec.world, envNames, spec.novel);
  const model = models.get(spec.model.kind).create(spec.model, { input: world.inputDim, classes: world.classes, envs: envNames.length });
  const S = spec.seeds, shard = Math.ceil(S / Math.max(1, Math.min(threads, S)));
  const params = model.paramCount();
  const copies = 1 + ({ sgd: 0, momentum: 1, adam: 2 }[spec.train.optimizer] ?? 2) + 1; // weights, moments, reference (or gradients)
  const widths = model.hidden.reduce((a, w) => a + w, 0);
  const E = world.envs.length, T = world.trained, N = spec.train.probes, B = spec.train.batch, C = world.classes, D = world.inputDim;
  // a model that knows its activations (a transformer: sequence length, attention maps) says so
  const acts = (b: number) => model.activationFloats?.(b);
  const stepActs = 3 * shard * (acts(B) ?? B * (D + widths + C)); // a step's activations and their gradients
  const probeActs = shard * (model.activationFloats ? acts((E + T) * N)! : E * N * C + T * N * (C + widths)); // probe passes: outputs and activations
  const shardFloats = shard * params * copies // state
    + stepActs
    + probeActs
    + (E + T) * N * D; // the probe inputs
  const plan = { allEnvNames: world.envs.map((e) => e.name), envNames, model, spec, world } as unknown as RunPlan;
  const keys = runDescriptors(plan, runMetrics(plan, { baselines: spec.baselines })).length;
  const checkpoints = Math.ceil(spec.train.steps / spec.train.evalEvery) + 1;
  return { params, stateBytes: 4 * S * params * copies, shardBytes: 4 * shardFloats, activationBytes: 4 * stepActs, rows: checkpoints * (S + 1) * keys, steps: spec.train.steps };
}

/** Throws E_SPEC naming the field and the limit when `spec` exceeds one; `allowLarge` lifts the soft limits. */
export function checkBudget(spec: ExperimentSpec, o: { allowLarge?: boolean; source?: string } = {}): Estimate {
  const e = estimate(spec);
  const where = o.source ?? spec.name;
  const refuse = (what: string, hard: boolean) => {
    throw new EcotoneError("E_SPEC", `${where}: ${what}` + (hard ? "" : "; pass --allow-large to run it anyway"));
  };
  const shards = Math.min(budgetDefaults.threads, spec.seeds);
  if (e.shardBytes > budgetDefaults.shardBytes)
    refuse(`too large for one worker thread: seeds × ${e.activationBytes > e.shardBytes / 2 ? "train.batch × " : ""}model.${Object.keys(spec.model).filter((k) => k !== "kind").join("/")} need about ${GiB(e.shardBytes)} of tensors per thread (${e.params.toLocaleString("en")} parameters per model), the limit is ${GiB(budgetDefaults.shardBytes)} (the engine's Wasm32 memory): use fewer seeds, a smaller model, or fewer train.probes`, true);
  if (o.allowLarge) return e;
  if (shards * e.shardBytes > budgetDefaults.memoryBytes)
    refuse(`seeds × ${e.activationBytes > e.shardBytes / 2 ? "train.batch × " : ""}model need about ${GiB(shards * e.shardBytes)} of tensors (${GiB(e.stateBytes)} of them parameters and optimiser state); the limit is ${GiB(budgetDefaults.memoryBytes)}`, false);
  if (e.steps > budgetDefaults.steps) refuse(`train.steps: ${e.steps.toLocaleString("en")} steps is more than the limit of ${budgetDefaults.steps.toLocaleString("en")}`, false);
  if (e.rows > budgetDefaults.rows)
    refuse(`the run would store about ${e.rows.toLocaleString("en")} metric values (checkpoints every train.evalEvery = ${spec.train.evalEvery} steps × seeds × metrics), more than the limit of ${budgetDefaults.rows.toLocaleString("en")}: raise train.evalEvery or use fewer seeds`, false);
  return e;
}
