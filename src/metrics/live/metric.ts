// A live metric: one measurement taken at every checkpoint of a run, as a component with a small
// lifecycle (devinterp's callbacks): created once per run (or per shard of seeds), measure() at
// each checkpoint from a typed context, and state()/restore() (or replay()) so that a resumed run
// measures exactly as an uninterrupted one. The trainer loops over the registered metrics and
// names none of them. Each key a metric writes is described once, in its descriptor: the CLI
// summary, the plots, the report and the dashboard all read titles, axes and ranges from there.
import type { Component } from "../../components/registry.ts";
import type { MetricPoint } from "../../store/types.ts";
import type { RunPlan } from "../../train/plan.ts";
import type { MetricDescriptor } from "./descriptor.ts";

export type { MetricDescriptor } from "./descriptor.ts";

/** What a per-seed metric can read at a checkpoint. Everything is computed on first use and shared. */
export interface SeedContext {
  step: number;
  plan: RunPlan;
  seeds: number[]; // the seeds of this shard (their order is the order of every [S, ...] array)
  /** Output probabilities on every probe set: [S, envs·N, C] (envs: trained then novel). */
  outputs(): Float32Array;
  /** On the counterfactual probes (every content under every trained cue): probabilities [S, E·N, C]
   * and per hidden representation its activations on the first `mechN` contents of each cue, [S, E·mechN, width]
   * (a sequence world: rows are completion tokens, [S, E·N·L, C], and the representation is the last prompt position's; a model
   * that returns attention adds, per layer, each head's attention from there to the trigger on every prompt, [S, E·prompts, heads]). */
  counterfactual(): { probs: Float32Array; hidden: Float32Array[]; mechN: number; attention?: Float32Array[] };
  /** Per seed, the weight of each unit of the last representation on the output: [S, width] (undefined if the model has none). */
  readoutNorm(): Float32Array | undefined;
  /** Per trained environment, the gradient of the clean cross-entropy on its probes, per parameter leaf [S, ...]. */
  envGradients(): Float32Array[][];
  /** The parameters as they stand, per leaf [S, ...] (the model's pytree, flattened). */
  params(): Float32Array[];
  /** The weighted-sum baselines' final probe outputs for this shard's seeds, when the run has them. */
  reference?: { mixture?: Float32Array; specialists?: Float32Array[] };
  trainLoss: Float64Array; // [S] mean training loss since the last checkpoint
}

/** What a run-level metric reads: every seed's per-seed metrics of this checkpoint, merged in seed order. */
export interface RunContext {
  step: number;
  plan: RunPlan;
  values: Record<string, Float64Array>; // [seeds] per key
  specialist?: { init: Float64Array; final: Float64Array }[]; // per trained env: its specialist's accuracy per seed
}

/** Values of one checkpoint: an array is one value per seed; a number (or null) is one value for the run (seed −1). */
export type Measured = Record<string, Float64Array | number | null>;

export interface SeedMetric {
  measure(ctx: SeedContext): Measured;
  /** Seed s's state (by its index in the shard), to resume; any number of parts. */
  state?(s: number): Float32Array[];
  /** Rebuilds the state at checkpoint `step` from every seed's parts, as state() returned them. */
  restore?(step: number, parts: Float32Array[][]): void;
}

export interface RunMetric {
  measure(ctx: RunContext): Measured;
  /** Rebuilds the state of a resumed run from its stored points (every checkpoint so far). */
  replay?(points: MetricPoint[]): void;
}

interface Base extends Component {
  readonly type: "metric";
  readonly keys: MetricDescriptor[];
  /** Whether this run measures it (default: always). */
  enabled?(plan: RunPlan, o: { baselines: boolean }): boolean;
  /** Fields this metric adds to the run summary (and `--json`), from every seed's values at the last checkpoint. */
  summary?(last: Record<string, Float64Array>, step: number, plan: RunPlan): Record<string, unknown>;
}

/** Measured in the shard that trains the seeds, on the models themselves. */
export interface SeedMetricDef extends Base {
  readonly level: "seed";
  create(plan: RunPlan, seeds: number[]): SeedMetric;
}

/** Measured in the main thread once every shard has reported, from all seeds' per-seed values. */
export interface RunMetricDef extends Base {
  readonly level: "run";
  create(plan: RunPlan): RunMetric;
}

export type MetricDef = SeedMetricDef | RunMetricDef;

type Def<T extends MetricDef> = Omit<T, "type" | "kind"> & { name: string };

/** Typed helper for a metric component: `export default defineMetric({ name, level: "seed", keys, create })`. */
export function defineMetric(def: Def<SeedMetricDef>): SeedMetricDef;
export function defineMetric(def: Def<RunMetricDef>): RunMetricDef;
export function defineMetric(def: Def<MetricDef>): MetricDef {
  const { name, ...rest } = def;
  return { ...rest, kind: name, type: "metric" } as MetricDef;
}

