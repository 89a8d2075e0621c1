// A world: the environments a run trains and probes. The trainer, the probes and the metrics
// see only this interface; the teacher family (teacher.ts), the LMS-k simplicity world (lmsk.ts)
// and the token world for sequence models (tokens.ts) implement it, and a plugin can add more
// with defineWorld.
import type { z } from "zod";
import type { Component } from "../components/registry.ts";
import type { Rng } from "../util/rng.ts";

/**
 * Fixed probe sets, the same at every checkpoint: changes over time are changes of the model.
 * On a sequence world a row of the metrics is one completion token: `n` = prompts · L, `labels`
 * and `cfLabels` hold L targets per prompt, and `x`, `cf` hold the prompts ([envs, prompts, inputDim]).
 */
export interface ProbeSet {
  envs: number; // number of environments probed (trained + novel)
  n: number; // probes per environment (sequence worlds: completion tokens, prompts · L)
  prompts?: number; // sequence worlds: prompts per environment
  x: Float32Array; // [envs, n, inputDim] (sequence worlds: [envs, prompts, inputDim])
  labels: Int32Array; // [envs, n] each environment's clean target
  // Counterfactual probes: the same n contents shown with every trained environment's cue, so
  // only the cue differs between variants; the labels are each environment's target for them.
  cf: Float32Array; // [trained cue e, n, inputDim] (sequence worlds: [trained cue e, prompts, inputDim])
  cfLabels: Int32Array; // [trained e, n]
}

/**
 * A sequence world's layout. An input row is `prompt` then `completion` token ids (as floats),
 * written by `sample` with the teacher's completion (teacher forcing); the targets are those
 * completion tokens, one class tensor row per token, and the model's logits at positions
 * prompt−1 … prompt+L−2 predict them. Probes are answered by the model's own greedy completion.
 */
export interface SequenceLayout {
  prompt: number; // P: prompt tokens
  completion: number; // L: completion tokens, after the prompt (inputDim = P + L)
  cue: [number, number]; // [start, end) of the trigger segment in the prompt (attention-to-trigger metrics)
}

/** What the world's knobs mean in accuracy terms, printed with every run. */
export interface WorldFacts {
  cueDecodability: number; // accuracy of the best rule that reads only the cue (1/envs = chance)
  labelAgreement: number | null; // fraction of inputs on which the first two environments' targets agree
}

export interface World {
  readonly inputDim: number; // length of one input row
  readonly classes: number; // answer options (the model's output size)
  readonly envs: readonly { name: string; novel: boolean }[]; // trained first, then novel
  readonly trained: number; // the first `trained` environments are trained
  readonly seed: number; // seeds the world's fixed draws (finite datasets are part of the world)
  readonly sequence?: SequenceLayout; // a sequence world (classes = vocabulary); absent: one answer per input
  /** Draws one example of env e into x[off..off+inputDim); returns its clean target (a sequence world: the first completion token; the targets are the completion it wrote). */
  sample(e: number, rng: Rng, x: Float32Array, off: number): number;
  /** The target a training example carries: the clean one, or a corrupted one (label noise). */
  noisy(label: number, rng: Rng): number;
  /** The probe sets, n per environment (deterministic: the same for every run of this world). */
  probes(n: number): ProbeSet;
  facts(): WorldFacts;
}

/** A family of worlds, registered under its `kind`; `schema` validates the spec's `world:`. */
export interface WorldDef<Config extends { kind: string } = any> extends Component {
  readonly type: "world";
  readonly schema: z.ZodType<Config>; // a strict object whose `kind` is this world's literal
  readonly novel?: z.ZodType; // one entry of the spec's `novel:` list, when the world has held-out environments
  /** The world for the trained environments `envs` (spec order) and the validated novel entries. */
  create(config: Config, envs: string[], novel: unknown[]): World;
}

/** Typed helper for a world component: `export default defineWorld({ kind: "ring", schema, create })`. */
export function defineWorld<Config extends { kind: string }>(def: Omit<WorldDef<Config>, "type">): WorldDef<Config> {
  return { ...def, type: "world" };
}
