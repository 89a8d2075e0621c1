// Supervised fine-tuning: cross-entropy on the (possibly noisy) teacher's answer.
import type { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import { defineObjective } from "./objective.ts";

const schema = z.strictObject({ kind: z.literal("sft") });

/** −Σ_c y_c log π_c.  → [S, B] */
export function sftLoss(logp: np.Array, target: np.Array): np.Array {
  return logp.mul(target).sum(-1).neg();
}

export const sft = defineObjective<z.infer<typeof schema>>({
  kind: "sft",
  schema,
  tensors: { target: "class" }, // one-hot target [S, B, C]
  fill: ({ y, o, t }) => { t.target![o + y] = 1; },
  loss: ({ logp, t }) => sftLoss(logp(), t.target!),
});
