// An experiment spec: composed from the schemas that live next to each component.
import { z } from "zod";
import { familySchema, novelSchema } from "../envs/teacher.ts";
import { metricsSchema } from "../metrics/measure.ts";
import { modelSchema } from "../models/mlp.ts";
import { objectiveSchema } from "../objectives/index.ts";
import { scheduleDefault, scheduleSchema } from "../schedules/index.ts";
import { trainSchema } from "../train/config.ts";

export const envSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][\w-]*$/, "a name of letters, digits, _ or -"), // environment name
  objective: objectiveSchema.default({ kind: "sft" }), // what this environment trains for
});

export const experimentSchema = z.strictObject({
  name: z.string().default("experiment"), // label shown in the store and dashboard
  seed: z.int().min(0).default(0), // base seed: model g is initialised and fed from (seed, g)
  seeds: z.int().min(1).max(4096).default(8), // ensemble size: models trained side by side
  world: familySchema.default(familySchema.parse({})), // the reference teacher family and its knobs
  envs: z.array(envSchema).min(1).default([{ name: "A", objective: { kind: "sft" } }, { name: "B", objective: { kind: "sft" } }]),
  novel: z.array(novelSchema).default([]), // held-out environments, evaluated but never trained
  schedule: scheduleSchema.default(scheduleDefault), // which environment trains when
  model: modelSchema.default(modelSchema.parse({})),
  train: trainSchema.default(trainSchema.parse({})),
  metrics: metricsSchema.default(metricsSchema.parse({})), // what is measured at checkpoints, and over which window
  baselines: z.boolean().default(false), // also train (or reuse) the mixture model and one specialist per env, same seeds and budget: the weighted-sum test
});

export type ExperimentSpec = z.infer<typeof experimentSchema>;
export type ExperimentInput = z.input<typeof experimentSchema>;

/** Typed helper for specs written in TypeScript; YAML expresses the same object. */
export const defineExperiment = (spec: ExperimentInput): ExperimentInput => spec;
