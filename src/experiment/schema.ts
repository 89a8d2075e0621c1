// An experiment spec, composed from the schemas that live next to each component. Worlds,
// objectives and models are registered components, so the schema is built from the registries
// when a spec is parsed: a plugin's world is as valid as the built-in ones once it is loaded.
import { z } from "zod";
import { resolvePlugins } from "../components/hash.ts";
import { worlds } from "../envs/index.ts";
import { metricsSchema, type MetricsSpec } from "../metrics/live/config.ts";
import { models } from "../models/index.ts";
import { objectiveSchema } from "../objectives/index.ts";
import { scheduleDefault, scheduleSchema, type ScheduleSpec } from "../schedules/index.ts";
import { trainSchema, type TrainSpec } from "../train/config.ts";

export const experimentDefaults = {
  world: "teacher", // the world's kind when `world:` names none
  model: "mlp", // the model's kind when `model:` names none
};

/** A component's validated config: its kind and its own knobs. */
export type Config = { kind: string } & Record<string, any>;

export interface ExperimentSpec {
  name: string;
  seed: number;
  seeds: number;
  plugins: string[]; // absolute paths of the plugin files the spec loads
  world: Config;
  envs: { name: string; objective: Config }[];
  novel: Record<string, any>[];
  schedule: ScheduleSpec;
  model: Config;
  train: TrainSpec;
  metrics: MetricsSpec;
  baselines: boolean;
}

/** What a spec may leave out: every default. */
export type ExperimentInput = {
  [K in keyof ExperimentSpec]?: K extends "world" | "model" ? Record<string, unknown>
    : K extends "envs" ? { name: string; objective?: string | Record<string, unknown> }[]
    : K extends "novel" ? Record<string, unknown>[]
    : K extends "schedule" | "train" | "metrics" ? Record<string, unknown>
    : ExperimentSpec[K];
};

/** `world: {distinguishability: 1}` is the default kind's; a missing section is all its defaults. */
const withKind = (kind: string) => (v: unknown) =>
  v === undefined ? { kind } : v && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { kind, ...v } : v;

const union = (defs: { schema: z.ZodType }[]) =>
  defs.length === 1 ? defs[0]!.schema : z.discriminatedUnion("kind", defs.map((d) => d.schema) as any);

/** The plugin files `input` names (absolute; relative ones against the working directory). */
function pluginsOf(input: unknown): string[] {
  const p = (input as { plugins?: unknown })?.plugins;
  return Array.isArray(p) ? resolvePlugins(p.filter((x): x is string => typeof x === "string"), process.cwd()) : [];
}

/** The novel-environment entries of the world kind named in `input` (the default kind if none). */
function novelFor(input: unknown): z.ZodType {
  const kind = (input as any)?.world?.kind ?? experimentDefaults.world;
  const def = worlds.available(pluginsOf(input)).find((w) => w.kind === kind);
  return def?.novel ?? z.never({ error: `world kind ${JSON.stringify(kind)} has no novel environments` });
}

export const envSchema = (plugins: string[] = []) => z.strictObject({
  name: z.string().regex(/^[A-Za-z][\w-]*$/, "a name of letters, digits, _ or -"), // environment name
  objective: objectiveSchema(plugins).default({ kind: "sft" }), // what this environment trains for
});

/**
 * The schema over the built-in components and those of the plugins `input` names (loaded
 * already); `input` also picks the novel entries of its world.
 */
export function experimentSchema(input?: unknown) {
  const plugins = pluginsOf(input);
  return z.strictObject({
    name: z.string().default("experiment"), // label shown in the store and dashboard
    seed: z.int().min(0).default(0), // base seed: model g is initialised and fed from (seed, g)
    seeds: z.int().min(1).max(4096).default(8), // ensemble size: models trained side by side
    plugins: z.array(z.string().min(1)).default([]), // plugin files (worlds, objectives, models, metrics), relative to the spec file
    world: z.preprocess(withKind(experimentDefaults.world), union(worlds.available(plugins))), // the environments' family and its knobs
    envs: z.array(envSchema(plugins)).min(1).default([{ name: "A", objective: { kind: "sft" } }, { name: "B", objective: { kind: "sft" } }]),
    novel: z.array(novelFor(input)).default([]), // held-out environments, evaluated but never trained
    schedule: scheduleSchema.default(scheduleDefault), // which environment trains when
    model: z.preprocess(withKind(experimentDefaults.model), union(models.available(plugins))), // the ensemble's architecture and its knobs
    train: trainSchema.default(trainSchema.parse({})),
    metrics: metricsSchema.default(metricsSchema.parse({})), // what is measured at checkpoints, and over which window
    baselines: z.boolean().default(false), // also train (or reuse) the mixture model and one specialist per env, same seeds and budget: the weighted-sum test
  });
}

/** Typed helper for specs written in TypeScript; YAML expresses the same object. */
export const defineExperiment = (spec: ExperimentInput): ExperimentInput => spec;
