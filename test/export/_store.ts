// A small store built through the Store API, with answers known by construction: a sweep of two
// cells (runs "rcell0000001", "rcell0000002") and a run outside it ("rsolo0000001") tagged keep and paper.
import type { MetricPoint, NewRun, Store } from "../../src/store/index.ts";

export const SWEEP = "sfixture0001";
export const RUNS = ["rcell0000001", "rcell0000002", "rsolo0000001"];
export const STEPS = [0, 10, 20];
export const SEEDS = [0, 1];
// Seed-level keys: three of the performance matrix, one behaviour, one class score; run-level (seed −1): label and an interval end.
export const SEED_KEYS = ["perf/acc:A", "perf/loss:novel1", "perf/reward:B", "behav/cond", "class/conditional"];
export const RUN_KEYS = ["class/label", "class/lo:conditional"];
export const PHASES = [{ start: 0, end: 10, env: "A" }, { start: 10, end: 20, env: "B" }];
export const LABELS = [1, 3, null]; // the label code each run stores at its last step: conditional-policy, unresolved, none

/** A value that tells run, step, seed and key apart: value(r, s, seed, k) is unique and exact in binary. */
export const value = (r: number, step: number, seed: number, k: number) => r * 1000 + step * 10 + (seed + 1) + k / 8;

const newRun = (id: string, i: number): NewRun => ({
  id, name: i < 2 ? "grid" : "solo", seeds: 2, steps: 20, volatility: 0.05, envs: ["A", "B"], specHash: `h${i}`,
  specJson: JSON.stringify({ name: "x", world: { kind: "teacher" }, model: { kind: "mlp" }, schedule: { kind: "blocks", phaseSteps: 10 } }),
  createdAt: `2026-12-0${i + 1}T00:00:00.000Z`,
});

/** Fill `store`; `states` are saved with each run's last checkpoint. */
export async function fillStore(store: Store, states: Record<string, Uint8Array> = {}): Promise<void> {
  const cells = [
    { key: '{"a":0}', params: { "world.distinguishability": 0, schedule: { kind: "mixture" } }, specJson: "{}" },
    { key: '{"a":1}', params: { "world.distinguishability": 0.5, schedule: { kind: "blocks", phaseSteps: 10 } }, specJson: "{}" },
  ];
  await store.createSweep({ id: SWEEP, name: "grid", specJson: JSON.stringify({ grid: ["world.distinguishability"], zip: [] }), hash: "sh" }, cells);
  for (const [r, id] of RUNS.entries()) {
    if (r < 2) await store.createCellRun(SWEEP, cells[r]!.key, newRun(id, r));
    else await store.createRun(newRun(id, r));
    await store.writePhases(id, PHASES);
    for (const step of STEPS) {
      const points: MetricPoint[] = [];
      SEED_KEYS.forEach((key, k) => SEEDS.forEach((seed) => points.push({ step, seed, key, value: value(r, step, seed, k) })));
      const label = step === 20 ? LABELS[r]! : 0;
      if (label !== null) points.push({ step, seed: -1, key: RUN_KEYS[0]!, value: label });
      points.push({ step, seed: -1, key: RUN_KEYS[1]!, value: value(r, step, -1, 9) });
      await store.writeCheckpoint(id, step, points, step === 20 ? states[id] : undefined);
    }
    const summary = { classification: LABELS[r] === null ? null : { label: LABELS[r] === 1 ? "conditional-policy" : "unresolved" } };
    if (r < 2) await store.finishCellRun(SWEEP, cells[r]!.key, id, "completed", summary);
    else await store.finishRun(id, "completed", summary);
  }
  await store.recordDivergence(RUNS[1]!, { seed: 1, step: 20, env: "B", what: "NaN loss" });
  await store.tagRun(RUNS[2]!, ["keep", "paper"]);
}
