// Objectives: what an environment asks of the model. Any environment can carry any objective.
// Each is written as a per-example loss on log-probabilities, so a batch may mix objectives
// (the mixture schedule) and one jitted step serves them all.
import { lax, nn, numpy as np } from "@jax-js/jax";
import { z } from "zod";

export const objectiveDefaults = {
  baseline: "mean", // reward: subtract the batch-mean reward (per seed) from each sampled reward; "none" = plain REINFORCE
  beta: 0.1, // preference: DPO inverse temperature β on the policy/reference log-ratio
} as const;

const sft = z.strictObject({ kind: z.literal("sft") });
const reward = z.strictObject({
  kind: z.literal("reward"),
  baseline: z.enum(["mean", "none"]).default(objectiveDefaults.baseline),
});
const preference = z.strictObject({
  kind: z.literal("preference"),
  beta: z.number().positive().default(objectiveDefaults.beta),
});

/** `objective: sft` is shorthand for `objective: { kind: sft }`. */
export const objectiveSchema = z.preprocess(
  (v) => (typeof v === "string" ? { kind: v } : v),
  z.discriminatedUnion("kind", [sft, reward, preference]),
);
export type ObjectiveSpec = z.infer<typeof objectiveSchema>;
export type ObjectiveKind = ObjectiveSpec["kind"];
export const objectiveKinds: ObjectiveKind[] = ["sft", "reward", "preference"];

/** Per-step tensors of the objectives present in a run (shapes for S seeds, B examples, C classes). */
export type ObjectiveInputs = {
  mask: { sft?: np.Array; reward?: np.Array; preference?: np.Array }; // [1, B] 1 where example b has that objective
  target?: np.Array; // sft: one-hot (possibly noisy) label [S, B, C]
  rewards?: np.Array; // reward: reward of every action [S, B, C]; the sampled one is paid
  gumbel?: np.Array; // reward: Gumbel noise [S, B, C] so sampling a ~ π happens inside the jitted step
  useBaseline?: np.Array; // reward: [1, B] 1 where the baseline applies
  chosen?: np.Array; // preference: one-hot preferred answer [S, B, C]
  rejected?: np.Array; // preference: one-hot dispreferred answer [S, B, C]
  beta?: np.Array; // preference: [1, B] DPO β per example
};

/** Cross-entropy on the teacher's label: −Σ_c y_c log π_c.  → [S, B] */
export function sftLoss(logp: np.Array, target: np.Array): np.Array {
  return logp.mul(target).sum(-1).neg();
}

/**
 * REINFORCE with a baseline: a ~ π (Gumbel-max on detached logits), loss −(r(a) − b)·log π(a),
 * with b the per-seed mean reward of the batch's reward examples.  → [S, B]
 */
export function rewardLoss(logits: np.Array, logp: np.Array, rewards: np.Array, gumbel: np.Array, mask: np.Array, useBaseline: np.Array): np.Array {
  const z = lax.stopGradient(logits).add(gumbel); // [S, B, C]
  const a = np.equal(z.ref, z.max(-1, { keepdims: true })).astype(np.float32); // one-hot sampled action
  const r = a.ref.mul(rewards).sum(-1); // [S, B]
  const count = np.maximum(mask.ref.sum(), 1);
  const baseline = r.ref.mul(mask).sum(-1, { keepdims: true }).div(count); // [S, 1]
  const adv = lax.stopGradient(r.sub(baseline.mul(useBaseline)));
  return adv.mul(a.mul(logp).sum(-1)).neg();
}

/**
 * DPO (Rafailov et al. 2023): −log σ(β[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]),
 * π_ref the policy snapshotted at the start of the phase.  → [S, B]
 */
export function preferenceLoss(logp: np.Array, refLogp: np.Array, chosen: np.Array, rejected: np.Array, beta: np.Array): np.Array {
  const ratio = logp.sub(lax.stopGradient(refLogp)); // [S, B, C]
  const margin = ratio.ref.mul(chosen).sum(-1).sub(ratio.mul(rejected).sum(-1));
  return nn.softplus(margin.mul(beta).neg());
}
