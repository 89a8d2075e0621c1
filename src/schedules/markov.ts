// Random switching: at every step, with probability switchProb, move to another environment
// chosen uniformly. The realised sequence is fixed by the run seed and shared by all seeds.
import { z } from "zod";
import { Rng, STREAM } from "../util/rng.ts";
import { indexOf, sequential, type Schedule } from "./schedule.ts";

export const markovSchema = z.strictObject({
  kind: z.literal("markov"),
  switchProb: z.number().min(0).max(1).default(0.01), // per-step probability of switching environment
  start: z.string().optional(), // first environment; default the first listed
});
export type MarkovSpec = z.infer<typeof markovSchema>;

export function markov(spec: Omit<MarkovSpec, "kind">, envs: string[], steps: number, seed: number): Schedule {
  const rng = new Rng(seed, STREAM.schedule);
  const seq = new Int32Array(steps);
  let e = spec.start ? indexOf(envs, spec.start, "markov start") : 0;
  for (let t = 0; t < steps; t++) {
    if (t > 0 && envs.length > 1 && rng.uniform() < spec.switchProb) e = (e + 1 + rng.int(envs.length - 1)) % envs.length;
    seq[t] = e;
  }
  return sequential("markov", seq, envs);
}
