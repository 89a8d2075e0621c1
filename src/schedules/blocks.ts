// Fixed-length phases in a cyclic order: A for phaseSteps, then B, then A again...
import { z } from "zod";
import { indexOf, sequential, type Schedule } from "./schedule.ts";

export const blocksSchema = z.strictObject({
  kind: z.literal("blocks"),
  phaseSteps: z.int().min(1).default(200), // steps per phase
  order: z.array(z.string()).min(1).optional(), // environment order, cycled; default: as listed
});
export type BlocksSpec = z.infer<typeof blocksSchema>;

export function blocks(spec: Omit<BlocksSpec, "kind">, envs: string[], steps: number): Schedule {
  const order = (spec.order ?? envs).map((n) => indexOf(envs, n, "blocks order"));
  const seq = new Int32Array(steps);
  for (let t = 0; t < steps; t++) seq[t] = order[Math.floor(t / spec.phaseSteps) % order.length]!;
  return sequential("blocks", seq, envs);
}
