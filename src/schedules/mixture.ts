// The stationary baseline: every batch is drawn from the weighted mixture of environments,
// so the objective is the weighted sum at every step. Volatility 0 by construction.
import { z } from "zod";
import { Rng, STREAM } from "../util/rng.ts";
import { indexOf, type Schedule } from "./schedule.ts";

export const mixtureSchema = z.strictObject({
  kind: z.literal("mixture"),
  weights: z.record(z.string(), z.number().min(0)).optional(), // per-environment weight; default equal
});
export type MixtureSpec = z.infer<typeof mixtureSchema>;

export function mixture(spec: Omit<MixtureSpec, "kind">, envs: string[], steps: number, seed: number): Schedule {
  const w = new Float64Array(envs.length).fill(spec.weights ? 0 : 1);
  for (const [name, v] of Object.entries(spec.weights ?? {})) w[indexOf(envs, name, "mixture weights")] = v;
  const total = w.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error("mixture weights: at least one weight must be positive");
  const cdf = new Float64Array(envs.length);
  w.reduce((acc, v, i) => (cdf[i] = acc + v / total), 0);
  return {
    kind: "mixture",
    sequence: new Int32Array(steps).fill(-1),
    volatility: 0,
    phases: [{ start: 0, end: steps, env: "mixture" }],
    assign(step, out) {
      const rng = new Rng(seed, STREAM.schedule, step);
      for (let b = 0; b < out.length; b++) {
        const u = rng.uniform();
        let e = 0;
        while (e < cdf.length - 1 && u >= cdf[e]!) e++;
        out[b] = e;
      }
    },
  };
}
