// Small specs and a temporary store shared by the training tests.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSpec } from "../../src/experiment/load.ts";
import type { ExperimentInput } from "../../src/experiment/schema.ts";
import { openStore, type MetricPoint, type Store } from "../../src/store/index.ts";

export const tinySpec = (over: ExperimentInput = {}) =>
  parseSpec({
    name: "tiny", seeds: 4,
    world: { content: 12, cue: 4, classes: 4, ...over.world },
    model: { hidden: [32], ...over.model },
    train: { steps: 120, evalEvery: 40, batch: 32, probes: 64, lr: 0.003, ...over.train },
    ...Object.fromEntries(Object.entries(over).filter(([k]) => !["world", "model", "train"].includes(k))),
  });

export async function tempStore(): Promise<Store> {
  return openStore(join(mkdtempSync(join(tmpdir(), "ecotone-test-")), "runs.db"));
}

/** Metric values by key and step, averaged over seeds (nulls skipped). */
export function curve(points: MetricPoint[], key: string): Map<number, number> {
  const acc = new Map<number, number[]>();
  for (const p of points) if (p.key === key && p.value !== null) (acc.get(p.step) ?? acc.set(p.step, []).get(p.step)!).push(p.value);
  return new Map([...acc].map(([s, v]) => [s, v.reduce((a, b) => a + b, 0) / v.length]));
}
