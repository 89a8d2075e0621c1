// An objective: what an environment asks of the model, as a per-example loss on the model's
// log-probabilities. Everything about one objective lives in its file: the spec schema, the
// tensors its loss reads and how one example fills them, the loss, and whether it needs a
// reference policy. Any environment can carry any objective and a batch may mix them (the mixture
// schedule): the step sums each objective's loss masked to its examples, so one jitted step
// serves them all.
import type { numpy as np } from "@jax-js/jax";
import type { z } from "zod";
import type { Component } from "../components/registry.ts";
import type { Rng } from "../util/rng.ts";

/**
 * A tensor the loss reads: "class" is [S, B, C], written per example by `fill`; "example" is
 * [1, B], one number per example from its environment's config (`example`), shared by the seeds.
 */
export type TensorKind = "class" | "example";

/** One training example, as `fill` sees it: write its rows of the class tensors. */
export interface FillContext<Config> {
  config: Config; // the objective of the example's environment
  y: number; // the example's target (after label noise)
  C: number; // classes
  o: number; // offset of the example's row (length C) in every class tensor
  t: Record<string, Float32Array>; // this objective's class tensors, [S·B·C], zeroed each step
  rng: Rng; // the seed's data stream at this step (shared with sampling: draw in a fixed order)
  noise: Rng; // the seed's policy-noise stream at this step (e.g. sampling an action)
  pos?: number; // a sequence world: the completion token (0 … L−1) whose rows these are, filled in order
}

/**
 * On a sequence world (World.sequence) the loss also reads this. Every "class" tensor, `logits`,
 * `logp` and `refLogp` are then [S, B, L, C], one row per completion token (the logits at the
 * positions that predict them, under teacher forcing), and a loss may return [S, B, L]: the step
 * sums it over the completion.
 */
export interface SequenceContext {
  prompt: number; // P: prompt tokens
  completion: number; // L: completion tokens
  x(): np.Array; // [S, B, P + L] the batch's tokens: the prompt and the (noisy) teacher completion
  /** The policy's logits at the completion positions of other tokens x [S, B, P + L] → [S, B, L, C] (consumes x). */
  forward(x: np.Array): np.Array;
  /** The same for the reference policy (objectives with `reference`). */
  refForward(x: np.Array): np.Array;
  /** [S, B, P + L]: the batch's prompts with completions sampled autoregressively from the policy, token l = argmax(logits + gumbel[:, :, l]) (no gradient; consumes gumbel [S, B, L, C]). */
  sample(gumbel: np.Array): np.Array;
}

/** What the loss reads. Getters hand out a new reference each call (jax-js arrays are consumed). */
export interface LossContext {
  logits(): np.Array; // [S, B, C]
  logp(): np.Array; // [S, B, C] log-softmax of the logits
  refLogp(): np.Array; // [S, B, C] the reference policy's log-probabilities (objectives with `reference`)
  mask(): np.Array; // [1, B] 1 where the example carries this objective
  t: Record<string, np.Array>; // this objective's tensors, owned by the loss: use each once
  seq?: SequenceContext; // present on a sequence world
}

export interface ObjectiveDef<Config extends { kind: string } = any> extends Component {
  readonly type: "objective";
  readonly schema: z.ZodType<Config>; // a strict object whose `kind` is this objective's literal
  readonly tensors: Record<string, TensorKind>;
  /** Values of the "example" tensors for an example of an environment with this config. */
  example?(config: Config): Record<string, number>;
  /** Writes one example's rows of the "class" tensors. */
  fill?(x: FillContext<Config>): void;
  /** "phase": the loss compares against the policy as it stood when the current phase began. */
  readonly reference?: "phase";
  /** Per-example loss [S, B]; the step multiplies it by the mask. */
  loss(x: LossContext): np.Array;
}

/** Typed helper for an objective component: `export default defineObjective({ kind: "hinge", ... })`. */
export function defineObjective<Config extends { kind: string }>(def: Omit<ObjectiveDef<Config>, "type">): ObjectiveDef<Config> {
  return { ...def, type: "objective" };
}
