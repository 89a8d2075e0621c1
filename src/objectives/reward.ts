// Reward optimisation: REINFORCE on an action sampled from the policy, paid 1 for the (possibly
// noisy) teacher's answer, with the batch-mean reward as baseline.
import { lax, numpy as np } from "@jax-js/jax";
import { z } from "zod";
import { defineObjective } from "./objective.ts";

export const rewardDefaults = {
  baseline: "mean" as "mean" | "none", // subtract the batch-mean reward (per seed) from each sampled reward; "none" = plain REINFORCE
};

const schema = z.strictObject({
  kind: z.literal("reward"),
  baseline: z.enum(["mean", "none"]).default(rewardDefaults.baseline),
});

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

export const reward = defineObjective<z.infer<typeof schema>>({
  kind: "reward",
  schema,
  tensors: {
    rewards: "class", // reward of every action [S, B, C]; the sampled one is paid
    gumbel: "class", // Gumbel noise [S, B, C]: sampling a ~ π happens inside the jitted step
    useBaseline: "example", // [1, B] 1 where the baseline applies
  },
  example: (c) => ({ useBaseline: +(c.baseline === "mean") }),
  fill: ({ y, o, C, t, noise }) => {
    t.rewards![o + y] = 1; // reward 1 for the (possibly noisy) teacher's answer, 0 otherwise
    for (let c = 0; c < C; c++) t.gumbel![o + c] = noise.gumbel();
  },
  loss: ({ logits, logp, mask, t }) => rewardLoss(logits(), logp(), t.rewards!, t.gumbel!, mask(), t.useBaseline!),
});
