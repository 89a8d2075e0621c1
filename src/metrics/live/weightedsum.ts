// The weighted-sum test (SPEC claim 1), live: distance and accuracy gaps to the stationary-mixture
// model and to each specialist trained from the same initialisation (metrics/weightedsum.ts).
import { weightedSum as compare } from "../weightedsum.ts";
import { defineMetric } from "./metric.ts";

const panel = "weighted sum: accuracy gaps to the baselines";
export const weightedSum = defineMetric({
  name: "weighted-sum",
  level: "seed",
  keys: [
    { key: "ws/jsMixture", title: "JS distance to the mixture model", axis: "JS", range: [0, 1], panel: "weighted sum: distance to the baselines (JS)" },
    { key: "ws/jsSpecialist", title: "JS distance to the specialists", axis: "JS", range: [0, 1], panel: "weighted sum: distance to the baselines (JS)" },
    { key: "ws/vsMixture:{trained}", title: "accuracy gap to the mixture model on {trained}", axis: "accuracy gap", range: [-1, 1], headline: true, panel },
    { key: "ws/novelVsMixture", title: "accuracy gap to the mixture model on novel environments", axis: "accuracy gap", range: [-1, 1], headline: true, panel },
    { key: "ws/vsSpecialist:{trained}", title: "accuracy gap to the specialist on {trained}", axis: "accuracy gap", range: [-1, 1], headline: true, panel },
    { key: "ws/mixtureVsSpecialist:{trained}", title: "mixture model's gap to the specialist on {trained}", axis: "accuracy gap", range: [-1, 1], panel },
  ],
  enabled: (_plan, o) => o.baselines,
  create: (plan, seeds) => ({
    measure(ctx) {
      if (!ctx.reference) return {};
      const { probes, world, allEnvNames } = plan;
      return compare(ctx.outputs(), ctx.reference, { S: seeds.length, C: world.classes, N: probes.n, E: probes.envs, trained: world.trained, labels: probes.labels, names: allEnvNames });
    },
  }),
});
