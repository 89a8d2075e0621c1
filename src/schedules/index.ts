import { z } from "zod";
import { blocks, blocksSchema } from "./blocks.ts";
import { markov, markovSchema } from "./markov.ts";
import { mixture, mixtureSchema } from "./mixture.ts";
import type { Schedule } from "./schedule.ts";

export type { Phase, Schedule } from "./schedule.ts";
export { blocks, markov, mixture };

export const scheduleSchema = z.discriminatedUnion("kind", [mixtureSchema, blocksSchema, markovSchema]);
export type ScheduleSpec = z.infer<typeof scheduleSchema>;
export const scheduleDefault: ScheduleSpec = { kind: "blocks", phaseSteps: 200 };

/** The schedule a spec describes, over `steps` steps, its randomness fixed by `seed`. */
export function makeSchedule(spec: ScheduleSpec, envs: string[], steps: number, seed: number): Schedule {
  switch (spec.kind) {
    case "mixture": return mixture(spec, envs, steps, seed);
    case "blocks": return blocks(spec, envs, steps);
    case "markov": return markov(spec, envs, steps, seed);
  }
}
