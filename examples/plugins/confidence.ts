// A plugin metric: how confident each seed is on each environment's probes (the mean probability
// of its top answer), and how much of that confidence is unearned (confidence − accuracy). A
// conditional policy is confident and right on every trained environment; a churning one is
// confidently wrong on the environment it last left; on a novel environment, a large gap is a
// model that does not know it is off its training distribution.
import { defineMetric } from "ecotone/extend";

export default defineMetric({
  name: "confidence",
  level: "seed",
  keys: [
    { key: "conf/max:{env}", title: "confidence on {env}", axis: "mean max-probability", range: [0, 1], headline: true, panel: "confidence (mean max-probability)" },
    { key: "conf/gap:{env}", title: "overconfidence on {env}", axis: "confidence − accuracy", range: [-1, 1], panel: "overconfidence (confidence − accuracy)" },
  ],
  // `--json` and the run summary gain { confidence: { <env>: mean over seeds } } at the last checkpoint
  summary: (last, _step, plan) => ({
    confidence: Object.fromEntries(plan.allEnvNames.map((e) => [e, mean(last[`conf/max:${e}`] ?? [])])),
  }),
  create: (plan, seeds) => ({
    measure(ctx) {
      const { probes, allEnvNames } = plan, S = seeds.length, N = probes.n, C = plan.world.classes;
      const probs = ctx.outputs(); // [S, envs·N, C]
      const out: Record<string, Float64Array> = {};
      allEnvNames.forEach((name, e) => {
        const conf = new Float64Array(S), gap = new Float64Array(S);
        for (let s = 0; s < S; s++) {
          let top = 0, hits = 0;
          for (let i = 0; i < N; i++) {
            const o = ((s * probes.envs + e) * N + i) * C;
            let best = 0;
            for (let c = 1; c < C; c++) if (probs[o + c]! > probs[o + best]!) best = c;
            top += probs[o + best]!;
            hits += +(best === probes.labels[e * N + i]);
          }
          [conf[s], gap[s]] = [top / N, (top - hits) / N];
        }
        out[`conf/max:${name}`] = conf;
        out[`conf/gap:${name}`] = gap;
      });
      return out;
    },
  }),
});

const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
