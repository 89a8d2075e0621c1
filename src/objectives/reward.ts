// Reward optimisation: REINFORCE on an action sampled from the policy, paid 1 for the (possibly
// noisy) teacher's answer, with the batch-mean reward as baseline.
import { lax, nn, numpy as np } from "@jax-js/jax";
import { z } from "zod";
import { defineObjective, type SequenceContext } from "./objective.ts";

export const rewardDefaults = {
  baseline: "mean" as "mean" | "none", // subtract the batch-mean reward (per seed) from each sampled reward; "none" = plain REINFORCE
};

const schema = z.strictObject({
  kind: z.literal("reward"),
  baseline: z.enum(["mean", "none"]).default(rewardDefaults.baseline),
  // sequence worlds: a sampled completion earns the share of its tokens that match the teacher's
  // ("token", the default) or 1 for an exact match ("exact"); no default written, so vector specs hash as before
  match: z.enum(["token", "exact"]).optional(),
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

/**
 * REINFORCE on a completion sampled autoregressively inside the step (Gumbel-max per token from
 * the seed's policy-noise stream): r = per-token match or exact match with the teacher's completion,
 * loss −(r − b)·Σ_l log π(a_l | prompt, a_<l), b the per-seed mean reward of the batch's reward examples.  → [S, B]
 */
export function sequenceRewardLoss(seq: SequenceContext, rewards: np.Array, gumbel: np.Array, mask: np.Array, useBaseline: np.Array, exact: np.Array): np.Array {
  const { prompt: P, completion: L } = seq;
  const C = rewards.shape[3]!;
  const xs = seq.sample(gumbel); // [S, B, P + L] prompt and sampled completion
  const tokens = xs.ref.slice([], [], [P, P + L]); // [S, B, L]
  const a = np.equal(tokens.reshape([...tokens.shape, 1]), np.arange(C).astype(np.float32)).astype(np.float32); // [S, B, L, C] one-hot sampled tokens
  const hits = a.ref.mul(rewards).sum(-1); // [S, B, L] 1 where the sampled token is the teacher's
  const r = hits.ref.min(-1).mul(exact.ref).add(hits.mean(-1).mul(exact.neg().add(1))); // [S, B]
  const count = np.maximum(mask.ref.sum(), 1);
  const baseline = r.ref.mul(mask).sum(-1, { keepdims: true }).div(count); // [S, 1]
  const adv = lax.stopGradient(r.sub(baseline.mul(useBaseline)));
  const logp = nn.logSoftmax(seq.forward(xs), -1); // [S, B, L, C] at the sampled prefix
  return adv.mul(a.mul(logp).sum(-1).sum(-1)).neg();
}

export const reward = defineObjective<z.infer<typeof schema>>({
  kind: "reward",
  schema,
  tensors: {
    rewards: "class", // reward of every action [S, B, C]; the sampled one is paid
    gumbel: "class", // Gumbel noise [S, B, C]: sampling a ~ π happens inside the jitted step
    useBaseline: "example", // [1, B] 1 where the baseline applies
    exact: "example", // [1, B] 1 where a sequence is paid for an exact match only
  },
  example: (c) => ({ useBaseline: +(c.baseline === "mean"), exact: +(c.match === "exact") }),
  fill: ({ y, o, C, t, noise }) => {
    t.rewards![o + y] = 1; // reward 1 for the (possibly noisy) teacher's answer, 0 otherwise
    for (let c = 0; c < C; c++) t.gumbel![o + c] = noise.gumbel();
  },
  loss: ({ logits, logp, mask, t, seq }) => {
    if (seq) return sequenceRewardLoss(seq, t.rewards!, t.gumbel!, mask(), t.useBaseline!, t.exact!);
    t.exact!.dispose(); // one answer per input: no sequence to match
    return rewardLoss(logits(), logp(), t.rewards!, t.gumbel!, mask(), t.useBaseline!);
  },
});
