// A model: an ensemble of S networks with a leading seed axis on every parameter, so the seeds
// train side by side in one jitted step. The trainer, the optimisers and the metrics see only
// this interface; the MLP (mlp.ts) is the first implementation, and a plugin can add more with
// defineModel.
import type { numpy as np } from "@jax-js/jax";
import type { z } from "zod";
import type { Component } from "../components/registry.ts";

/** What the world fixes about a model: input size, output size, trained environments. */
export interface ModelShape {
  input: number; // D: length of an input row
  classes: number; // C: answer options
  envs: number; // trained environments (a model may give each its own output head)
}

export interface ApplyOptions {
  heads?: np.Array; // [1, B, heads, 1] weight of each output head per example (one-hot by env; uniform for novel envs)
  noise?: np.Array[]; // training noise from `trainNoise` (e.g. dropout masks); absent at evaluation
  keepHidden?: boolean; // also return the hidden representations (for the mechanism metrics)
  penalty?: boolean; // also return the regulariser (skipped at evaluation: it can cost a pass)
}

export interface ApplyResult {
  /** [S, B, C]; a sequence model (e.g. the transformer) returns next-token logits at every position, [S, B, T, V]. */
  logits: np.Array;
  penalty?: np.Array; // [S] regulariser added to every example's loss (e.g. an L1 activation penalty)
  hidden: np.Array[]; // with keepHidden: per representation [S, B, width] (a sequence model: [S, B, T, width])
  attention?: np.Array[]; // with keepHidden, models with attention: per layer [S, B, H, T, T] attention probabilities
}

export interface Model<P = any> {
  readonly shape: ModelShape;
  readonly heads: number; // output heads: 1, or one per trained environment
  readonly hidden: number[]; // widths of the representations `apply` returns with keepHidden
  /** Fresh parameters for `seeds`, seed g initialised from (runSeed, g) alone. A pytree of [S, ...] arrays. */
  init(runSeed: number, seeds: number[]): P;
  /** Forward pass. Consumes p and x ([S or 1, B, D]). */
  apply(p: P, x: np.Array, o?: ApplyOptions): ApplyResult;
  /** Training noise of `step` for a batch of B, from each seed's own stream (undefined: none). */
  trainNoise?(runSeed: number, seeds: number[], step: number, batch: number): np.Array[] | undefined;
  /** Per seed, the weight each unit of the last representation has on the output: [S, width] (borrows p). */
  readoutNorm?(p: P): Float32Array;
  /** Floats one model's forward pass holds for a batch of `batch` inputs (activations; the budget's estimate). Absent: the widths of `hidden` suffice. */
  activationFloats?(batch: number): number;
  /** Parameters of one model. */
  paramCount(): number;
}

/** A model family, registered under its `kind`; `schema` validates the spec's `model:`. */
export interface ModelDef<Config extends { kind: string } = any> extends Component {
  readonly type: "model";
  readonly schema: z.ZodType<Config>; // a strict object whose `kind` is this model's literal
  create(config: Config, shape: ModelShape): Model;
}

/** Typed helper for a model component: `export default defineModel({ kind: "rnn", schema, create })`. */
export function defineModel<Config extends { kind: string }>(def: Omit<ModelDef<Config>, "type">): ModelDef<Config> {
  return { ...def, type: "model" };
}
