// ecotone's library API. Re-exports only; files named _*.ts are internal.

// Experiments: specs, loading (with plugins), running, the store.
export { defineExperiment, experimentSchema, envSchema } from "./experiment/schema.ts";
export type { ExperimentSpec, ExperimentInput } from "./experiment/schema.ts";
export { loadSpec, parseSpec } from "./experiment/load.ts";
export { runExperiment, resumeRun } from "./train/run.ts";
export type { RunOptions, RunSummary } from "./train/run.ts";
export { baselineSpecs, loadModels } from "./train/baselines.ts";
export { ShardTrainer } from "./train/shard.ts";
export { makePlan, specHash } from "./train/plan.ts";
export type { RunPlan } from "./train/plan.ts";
export { openStore, defaultStorePath } from "./store/index.ts";
export { exportRun, exportRuns } from "./export/index.ts";
export type { Store, MetricPoint, RunRow } from "./store/index.ts";

// Extending the lab: one factory per kind of component (docs/extending.md). A spec's `plugins:`
// loads files that export them; `loadPlugins` does the same from code.
export { defineWorld } from "./envs/world.ts";
export type { World, WorldDef, WorldFacts, ProbeSet } from "./envs/world.ts";
export { defineObjective } from "./objectives/objective.ts";
export type { ObjectiveDef, FillContext, LossContext, TensorKind } from "./objectives/objective.ts";
export { defineModel } from "./models/model.ts";
export type { Model, ModelDef, ModelShape, ApplyOptions, ApplyResult } from "./models/model.ts";
export { defineMetric } from "./metrics/live/metric.ts";
export type { MetricDef, MetricDescriptor, SeedContext, RunContext, Measured } from "./metrics/live/metric.ts";
export { loadPlugins } from "./components/plugins.ts";
export { worlds } from "./envs/index.ts";
export { objectives } from "./objectives/index.ts";
export { models } from "./models/index.ts";
export { metrics as liveMetrics, describeKey } from "./metrics/live/index.ts";

// Training any model on any loss with the project's optimisers and schedules.
export { fit, optimizer } from "./train/fit.ts";
export type { FitOptions, OptimizerOptions } from "./train/fit.ts";
export { lrAt } from "./train/lr.ts";
export type { LrSchedule } from "./train/lr.ts";
export { makeSchedule, mixture, blocks, markov } from "./schedules/index.ts";
export type { Schedule, Phase } from "./schedules/index.ts";

// The built-in components and their pieces.
export { TeacherWorld, familySchema, familyDefaults, teacher } from "./envs/teacher.ts";
export { makeProbes, cueDecodability, labelAgreement } from "./envs/probes.ts";
export { sftLoss, rewardLoss, preferenceLoss, objectiveSchema } from "./objectives/index.ts";
export { Mlp, arch, initParams, forward, modelSchema, modelDefaults } from "./models/mlp.ts";
export type { Arch, Params } from "./models/mlp.ts";

export * as metrics from "./metrics/index.ts";
export * as dynamics from "./dynamics/index.ts";
export * as stability from "./stability/index.ts";
export * as plots from "./plots/index.ts";
export { EcotoneError } from "./util/errors.ts";
