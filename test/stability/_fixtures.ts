// Tiny specs for the stability suite: small enough that a run trains in a fraction of a second,
// large enough to reach well above chance in distribution.
import { parseSpec } from "../../src/experiment/load.ts";
import type { ExperimentSpec } from "../../src/experiment/schema.ts";

/** Two SFT environments that disagree on every input, a perfectly decodable cue, a stationary mixture. */
export function tinySpec(over: Record<string, unknown> = {}, train: Record<string, unknown> = {}): ExperimentSpec {
  return parseSpec({
    name: "tiny",
    seeds: 3,
    world: { content: 12, cue: 4, classes: 4 },
    envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }],
    schedule: { kind: "mixture" },
    model: { hidden: [16] },
    ...over,
    train: { optimizer: "adam", lr: 0.01, steps: 150, evalEvery: 50, batch: 16, probes: 32, ...train },
  });
}
