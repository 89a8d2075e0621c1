// Metrics of sequence worlds (World.sequence), measured only there. `perf/acc` on a sequence world
// is per-token accuracy of the greedy completion (a probe row is one completion token); here the
// whole completion: exact match. And where the model returns attention, how much the position
// that starts the completion attends to the trigger (the environment cue), per head.
import { summarise } from "../bootstrap.ts";
import { defineMetric } from "./metric.ts";
import type { RunPlan } from "../../train/plan.ts";

/** The key of exact-match accuracy of the greedy completion on env. */
export const exactKey = (env: string) => `seq/exact:${env}`;

export const completion = defineMetric({
  name: "completion",
  level: "seed",
  keys: [
    { key: "seq/exact:{env}", title: "exact match on {env}", axis: "exact-match accuracy", range: [0, 1], headline: true, panel: "exact match of the greedy completion" },
  ],
  enabled: (plan) => isSequence(plan),
  // final exact-match accuracy per environment (trained and novel), over seeds
  summary: (last, _step, plan) => ({ exactMatch: Object.fromEntries(plan.allEnvNames.map((e) => [e, summarise(last[exactKey(e)] ?? [])])) }),
  create: (plan, seeds) => ({
    measure(ctx) {
      const { probes, allEnvNames, world } = plan;
      const S = seeds.length, C = world.classes, N = probes.n, L = world.sequence!.completion, prompts = N / L;
      const probs = ctx.outputs(); // [S, envs·N, C], N = prompts · L rows, each at the greedy prefix
      const out: Record<string, Float64Array> = {};
      allEnvNames.forEach((name, e) => {
        const exact = new Float64Array(S);
        for (let s = 0; s < S; s++) {
          let hits = 0, finite = true;
          for (let i = 0; i < prompts; i++) {
            let all = true;
            for (let l = 0; l < L; l++) {
              const r = i * L + l, o = ((s * probes.envs + e) * N + r) * C;
              let best = 0;
              for (let c = 1; c < C; c++) if (probs[o + c]! > probs[o + best]!) best = c;
              finite &&= Number.isFinite(probs[o]!);
              all &&= best === probes.labels[e * N + r]!;
            }
            hits += +all;
          }
          exact[s] = finite ? hits / prompts : NaN;
        }
        out[exactKey(name)] = exact;
      });
      return out;
    },
  }),
});

export const attention = defineMetric({
  name: "attention",
  level: "seed",
  keys: [
    { key: "attn/trigger", title: "attention to the trigger (mean over heads and layers)", axis: "attention mass", range: [0, 1], panel: "attention from the completion's start to the trigger" },
    { key: "attn/triggerTop", title: "attention to the trigger (the most trigger-reading head)", axis: "attention mass", range: [0, 1], headline: true, panel: "attention from the completion's start to the trigger" },
  ],
  enabled: (plan) => isSequence(plan),
  create: (plan, seeds) => ({
    measure(ctx) {
      const S = seeds.length, rows = plan.world.trained * (plan.probes.prompts ?? plan.probes.n);
      const attn = ctx.counterfactual().attention; // per layer [S, E·prompts, heads]
      const mean = new Float64Array(S).fill(NaN), top = new Float64Array(S).fill(NaN);
      if (!attn?.length) return { "attn/trigger": mean, "attn/triggerTop": top }; // a model without attention
      for (let s = 0; s < S; s++) {
        let sum = 0, count = 0, best = -Infinity;
        for (const a of attn) {
          const H = a.length / (S * rows);
          for (let h = 0; h < H; h++) {
            let m = 0;
            for (let r = 0; r < rows; r++) m += a[(s * rows + r) * H + h]! / rows;
            [sum, count, best] = [sum + m, count + 1, Math.max(best, m)];
          }
        }
        [mean[s], top[s]] = [sum / count, best];
      }
      return { "attn/trigger": mean, "attn/triggerTop": top };
    },
  }),
});

/** A sequence world's run (`in`, not a read: a probe log's world throws on fields it does not hold). */
function isSequence(plan: RunPlan): boolean {
  return "sequence" in plan.world && plan.world.sequence !== undefined;
}
