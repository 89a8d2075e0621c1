// A run written straight into a store, without training: known points, so what the figures, the
// report and the dashboard show of them is known by construction. Besides built-in keys it has
// `custom/score`, as a plugin metric would store it.
import type { MetricDescriptor } from "../../src/metrics/live/index.ts";
import type { MetricPoint, Phase, Store } from "../../src/store/index.ts";

export const PHASES: Phase[] = [{ start: 0, end: 20, env: "A" }, { start: 20, end: 40, env: "B" }];
export const STEPS = [0, 20, 40];

/** custom/score of seed s at a step: known, so tables can be checked by hand (mean at 40: 0.505). */
export const customScore = (step: number, seed: number) => 0.3 + step / 200 + seed / 100;

/** Run `id`: envs A and B, seeds 0 and 1, checkpoints at 0, 20 and 40; `metrics`: its stored descriptors. */
export async function fabricateRun(store: Store, id: string, metrics?: MetricDescriptor[]): Promise<void> {
  await store.createRun({ id, name: "fabricated", specJson: JSON.stringify({ name: "fabricated" }), specHash: "f", seeds: 2, steps: 40, volatility: 0.05, envs: ["A", "B"], metrics });
  await store.writePhases(id, PHASES);
  for (const step of STEPS) {
    const points: MetricPoint[] = [0, 1].flatMap((seed) => [
      { step, seed, key: "perf/acc:A", value: 0.5 + step / 100 + seed / 50 },
      { step, seed, key: "perf/acc:B", value: 0.4 + seed / 50 },
      { step, seed, key: "behav/cond", value: 0.1 + step / 400 },
      { step, seed, key: "behav/churn", value: 0.2 - seed / 100 },
      { step, seed, key: "custom/score", value: customScore(step, seed) },
    ]);
    await store.writeCheckpoint(id, step, points);
  }
}
