// Performance on every probe set (trained and novel environments), from the output probabilities.
import { summarise } from "../bootstrap.ts";
import { defineMetric } from "./metric.ts";

/** The key of greedy accuracy on env: what other metrics (continual learning, maturity) and the baselines read. */
export const accuracyKey = (env: string) => `perf/acc:${env}`;
/** The key of expected reward on env (the report's performance table reads it). */
export const rewardKey = (env: string) => `perf/reward:${env}`;

export const perf = defineMetric({
  name: "perf",
  level: "seed",
  keys: [
    { key: "perf/acc:{env}", title: "accuracy on {env}", axis: "accuracy", range: [0, 1], panel: "accuracy per environment" }, // greedy, against the clean target
    { key: "perf/reward:{env}", title: "expected reward on {env}", axis: "expected reward", range: [0, 1], panel: "expected reward per environment" }, // of the stochastic policy, 0/1 reward
    { key: "perf/loss:{env}", title: "probe loss on {env}", axis: "cross-entropy", panel: "probe loss per environment" }, // cross-entropy on the clean target
  ],
  // final greedy accuracy and expected reward per environment (trained and novel), over seeds
  summary: (last, _step, plan) => {
    const pick = (key: (e: string) => string) => Object.fromEntries(plan.allEnvNames.map((e) => [e, summarise(last[key(e)] ?? [])]));
    return { performance: pick(accuracyKey), reward: pick(rewardKey) };
  },
  create: (plan, seeds) => ({
    measure(ctx) {
      const { probes, allEnvNames, world } = plan;
      const S = seeds.length, C = world.classes, N = probes.n;
      const probs = ctx.outputs(); // [S, envs·N, C]
      const out: Record<string, Float64Array> = {};
      allEnvNames.forEach((name, e) => {
        const acc = new Float64Array(S), reward = new Float64Array(S), loss = new Float64Array(S);
        for (let s = 0; s < S; s++) {
          let hits = 0, pr = 0, nll = 0;
          for (let i = 0; i < N; i++) {
            const o = ((s * probes.envs + e) * N + i) * C, y = probes.labels[e * N + i]!;
            let best = 0;
            for (let c = 1; c < C; c++) if (probs[o + c]! > probs[o + best]!) best = c;
            hits += +(best === y);
            pr += probs[o + y]!;
            nll -= Math.log(Math.max(probs[o + y]!, 1e-30));
          }
          const dead = !Number.isFinite(pr);
          acc[s] = dead ? NaN : hits / N;
          reward[s] = dead ? NaN : pr / N;
          loss[s] = dead ? NaN : nll / N;
        }
        out[accuracyKey(name)] = acc;
        out[rewardKey(name)] = reward;
        out[`perf/loss:${name}`] = loss;
      });
      return out;
    },
  }),
});

export const trainLoss = defineMetric({
  name: "train-loss",
  level: "seed",
  keys: [{ key: "train/loss", title: "training loss (mean since the last checkpoint)", axis: "loss", panel: "training loss" }],
  create: () => ({ measure: (ctx) => ({ "train/loss": ctx.trainLoss }) }),
});
