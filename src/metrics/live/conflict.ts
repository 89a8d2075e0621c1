// Gradient conflict between environments, live: the mean pairwise cosine (metrics/conflict.ts)
// between the trained environments' gradients of the clean cross-entropy on their probes, the
// common currency in which their pulls on the shared weights compare, whatever their objective.
import { meanPairwiseSegmentedCosine } from "../conflict.ts";
import { defineMetric } from "./metric.ts";

export const conflict = defineMetric({
  name: "conflict",
  level: "seed",
  keys: [{ key: "route/conflict", title: "gradient conflict between environments (cosine)", axis: "cosine", range: [-1, 1], headline: true, panel: "gradient conflict between environments (cosine)" }],
  enabled: (plan) => plan.spec.metrics.conflict && plan.world.trained > 1,
  create: (_plan, seeds) => ({
    measure(ctx) {
      const grads = ctx.envGradients(); // [env][leaf] of [S, ...]
      const S = seeds.length, out = new Float64Array(S);
      for (let s = 0; s < S; s++) out[s] = meanPairwiseSegmentedCosine(grads.map((leaves) => seedSlice(leaves, s, S)));
      return { "route/conflict": out };
    },
  }),
});

/** Seed s's gradient as segments: its slice of every leaf, in leaf order (views, no copy). */
function seedSlice(leaves: Float32Array[], s: number, S: number): Float32Array[] {
  return leaves.map((l) => l.subarray((s * l.length) / S, ((s + 1) * l.length) / S));
}
