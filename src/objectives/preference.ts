// Preference optimisation: DPO on a pair (the teacher's answer preferred over a uniformly random
// other one) against the policy snapshotted at the start of the phase.
import { lax, nn, type numpy as np } from "@jax-js/jax";
import { z } from "zod";
import { defineObjective } from "./objective.ts";

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
  loss: ({ logp, refLogp, t }) => preferenceLoss(logp(), refLogp(), t.chosen!, t.rejected!, t.beta!),
});
