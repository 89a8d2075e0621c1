// Preference optimisation: DPO on a pair (the teacher's answer preferred over a uniformly random
// other one) against the policy snapshotted at the start of the phase.
import { lax, nn, numpy as np } from "@jax-js/jax";
import { z } from "zod";
import { defineObjective, type SequenceContext } from "./objective.ts";

export const preferenceDefaults = {
  beta: 0.1, // DPO inverse temperature β on the policy/reference log-ratio
};

const schema = z.strictObject({
  kind: z.literal("preference"),
  beta: z.number().positive().default(preferenceDefaults.beta),
});

/**
 * DPO (Rafailov et al. 2023): −log σ(β[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]),
 * π_ref the policy snapshotted at the start of the phase.  → [S, B]
 */
export function preferenceLoss(logp: np.Array, refLogp: np.Array, chosen: np.Array, rejected: np.Array, beta: np.Array): np.Array {
  const ratio = logp.sub(lax.stopGradient(refLogp)); // [S, B, C]
  const margin = ratio.ref.mul(chosen).sum(-1).sub(ratio.mul(rejected).sum(-1));
  return nn.softplus(margin.mul(beta).neg());
}

/**
 * DPO on completions: chosen = the teacher's (the batch's tokens), rejected = a uniformly random
 * other token at every position; log π(y) = Σ_l log π(y_l | prompt, y_<l), so the rejected
 * completion takes its own passes of the policy and the reference.  → [S, B]
 */
export function sequencePreferenceLoss(seq: SequenceContext, logp: np.Array, refLogp: np.Array, chosen: np.Array, rejected: np.Array, beta: np.Array): np.Array {
  const C = chosen.shape[3]!;
  const rejectedTokens = rejected.ref.mul(np.arange(C).astype(np.float32)).sum(-1); // [S, B, L]
  const xr = np.concatenate([seq.x().slice([], [], [0, seq.prompt]), rejectedTokens], -1); // [S, B, P + L]
  const rLogp = nn.logSoftmax(seq.forward(xr.ref), -1), rRef = nn.logSoftmax(seq.refForward(xr), -1); // [S, B, L, C]
  const chosenRatio = logp.sub(lax.stopGradient(refLogp)).mul(chosen).sum(-1).sum(-1); // [S, B]
  const rejectedRatio = rLogp.sub(lax.stopGradient(rRef)).mul(rejected).sum(-1).sum(-1);
  return nn.softplus(chosenRatio.sub(rejectedRatio).mul(beta).neg());
}

export const preference = defineObjective<z.infer<typeof schema>>({
  kind: "preference",
  schema,
  reference: "phase",
  tensors: {
    chosen: "class", // one-hot preferred answer [S, B, C]
    rejected: "class", // one-hot dispreferred answer [S, B, C]
    beta: "example", // [1, B] DPO β per example
  },
  example: (c) => ({ beta: c.beta }),
  fill: ({ y, o, C, t, rng }) => {
    t.chosen![o + y] = 1;
    t.rejected![o + ((y + 1 + rng.int(C - 1)) % C)] = 1; // a uniformly random other answer
  },
  loss: ({ logp, refLogp, t, seq }) =>
    seq ? sequencePreferenceLoss(seq, logp(), refLogp(), t.chosen!, t.rejected!, t.beta!) : preferenceLoss(logp(), refLogp(), t.chosen!, t.rejected!, t.beta!),
});
