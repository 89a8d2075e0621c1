// `import { defineWorld, ... } from "ecotone/extend"`: what a plugin file needs, without the
// plotting and store code the full library pulls in (plugins load in every worker thread).
export { defineWorld } from "./envs/world.ts";
export type { World, WorldDef, WorldFacts, ProbeSet } from "./envs/world.ts";
export { defineObjective } from "./objectives/objective.ts";
export type { ObjectiveDef, FillContext, LossContext, TensorKind } from "./objectives/objective.ts";
export { defineModel } from "./models/model.ts";
export type { Model, ModelDef, ModelShape, ApplyOptions, ApplyResult } from "./models/model.ts";
export { defineMetric } from "./metrics/live/metric.ts";
export type { MetricDef, MetricDescriptor, SeedContext, RunContext, Measured } from "./metrics/live/metric.ts";
export { Rng, STREAM } from "./util/rng.ts";
