// Objectives: the registry and the built-ins. A new objective is one file plus one line here (or
// a plugin file named in a spec's `plugins:`). Registration order is the order in which a step
// sums the objectives' losses.
import { z } from "zod";
import { Registry } from "../components/registry.ts";
import type { ObjectiveDef } from "./objective.ts";
import { preference } from "./preference.ts";
import { reward } from "./reward.ts";
import { sft } from "./sft.ts";

export type { FillContext, LossContext, ObjectiveDef, SequenceContext, TensorKind } from "./objective.ts";
export { defineObjective } from "./objective.ts";
export { sftLoss } from "./sft.ts";
export { rewardLoss } from "./reward.ts";
export { preferenceLoss } from "./preference.ts";

export const objectives = new Registry<ObjectiveDef>("objective");
objectives.add(sft);
objectives.add(reward);
objectives.add(preference);

/** An environment's objective as the spec gives it: `{ kind, ...config }`. */
export type ObjectiveSpec = { kind: string } & Record<string, unknown>;

/** The spec's `objective:` over the built-in objectives and the named plugins'; `objective: sft` is shorthand for `{ kind: sft }`. */
export function objectiveSchema(plugins: readonly string[] = []): z.ZodType<ObjectiveSpec> {
  const opts = objectives.available(plugins).map((o) => o.schema);
  return z.preprocess((v) => (typeof v === "string" ? { kind: v } : v), z.discriminatedUnion("kind", opts as any)) as any;
}
