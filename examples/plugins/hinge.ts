// A plugin objective: the multi-class hinge (Crammer & Singer 2001) on the logits,
// max(0, margin − (z_y − max_{c≠y} z_c)). Unlike cross-entropy it stops pulling once the answer
// leads by the margin, so an environment it already satisfies leaves the shared weights alone:
// a different kind of interference when objectives alternate.
import { nn, numpy as np } from "@jax-js/jax";
import { z } from "zod";
import { defineObjective } from "ecotone/extend";

export const hingeDefaults = {
  margin: 1, // logit lead the target must have over the runner-up before the loss is zero
};

const schema = z.strictObject({
  kind: z.literal("hinge"),
  margin: z.number().positive().default(hingeDefaults.margin),
});

const OFF = 1e4; // pushes the target's own logit out of the runner-up's max

/** max(0, margin − z_y + max_{c≠y} z_c).  → [S, B] */
export function hingeLoss(logits: np.Array, target: np.Array, margin: np.Array): np.Array {
  const zy = logits.ref.mul(target.ref).sum(-1); // [S, B]
  const rival = logits.sub(target.mul(OFF)).max(-1); // [S, B]
  return nn.relu(margin.sub(zy).add(rival));
}

export default defineObjective<z.infer<typeof schema>>({
  kind: "hinge",
  schema,
  tensors: {
    target: "class", // one-hot target [S, B, C]
    margin: "example", // [1, B] the margin of each example's environment
  },
  example: (c) => ({ margin: c.margin }),
  fill: ({ y, o, t }) => { t.target![o + y] = 1; },
  loss: ({ logits, t }) => hingeLoss(logits(), t.target!, t.margin!),
});
