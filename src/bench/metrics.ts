// The live metrics' share of a run's time at the default cadence: one shard of the quickstart (its
// 16 seeds run as two shards of 8, one per thread) trained for the whole run in this thread, with
// every training step and every checkpoint timed, and each checkpoint's time split by metric.
import { fileURLToPath } from "node:url";
import { init } from "@jax-js/jax";
import { loadSpec, parseSpec } from "../experiment/load.ts";
import { makePlan } from "../train/plan.ts";
import { ShardTrainer } from "../train/shard.ts";

export const metricsShareDefaults = {
  spec: "examples/quickstart.yaml",
  seeds: 8, // one shard's worth of the quickstart's 16 (two threads)
  // steps: the spec's own (1200): the first checkpoint costs more than the others (warm-up), so a
  // shortened run overstates the share
};

export interface MetricsShare {
  spec: string; engine: string; steps: number; seeds: number; evalEvery: number; checkpoints: number;
  trainSeconds: number; checkpointSeconds: number; share: number;
  firstCheckpointMs: number; // the checkpoint before training (includes one-time setup)
  /** Milliseconds per checkpoint after the first, by metric (each includes what it read first) and by quantity read (`read:<name>`). */
  perCheckpointMs: Record<string, number>;
}

/** Times the quickstart's first shard: training steps vs checkpoints (the live metrics and what they read). */
export async function metricsShare(o: { engine?: "auto" | "fused" | "jax"; steps?: number; seeds?: number } = {}): Promise<MetricsShare> {
  await init("wasm");
  const d = metricsShareDefaults, seeds = o.seeds ?? d.seeds;
  const raw = (await loadSpec(fileURLToPath(new URL(`../../${d.spec}`, import.meta.url)))) as Record<string, any>;
  const spec = parseSpec({ ...raw, seeds, train: { ...raw.train, ...(o.steps ? { steps: o.steps } : {}), ...(o.engine ? { engine: o.engine } : {}) } }, "bench");
  const plan = makePlan(spec), steps = spec.train.steps;
  const trainer = new ShardTrainer(plan, Array.from({ length: seeds }, (_, i) => i));
  const cps = new Set(plan.checkpoints);
  let train = 0, checkpoints = 0, t0 = performance.now();
  trainer.checkpoint(0, false);
  const first = performance.now() - t0;
  trainer.timings = new Map();
  for (let t = 0; t < steps; t++) {
    t0 = performance.now();
    for (const _ of trainer.step(t));
    train += performance.now() - t0;
    if (!cps.has(t + 1)) continue;
    t0 = performance.now();
    trainer.checkpoint(t + 1, false);
    checkpoints += performance.now() - t0;
  }
  const after = plan.checkpoints.length - 1, timings = [...trainer.timings].sort((a, b) => b[1] - a[1]);
  trainer.dispose();
  const r = (v: number) => Math.round(v) / 1000;
  return {
    spec: d.spec, engine: trainer.engine.engine, steps, seeds, evalEvery: spec.train.evalEvery, checkpoints: plan.checkpoints.length,
    trainSeconds: r(train), checkpointSeconds: r(first + checkpoints), share: Math.round((1000 * (first + checkpoints)) / (train + first + checkpoints)) / 1000,
    firstCheckpointMs: Math.round(first * 10) / 10,
    perCheckpointMs: Object.fromEntries(timings.map(([k, v]) => [k, Math.round((10 * v) / Math.max(after, 1)) / 10])),
  };
}
