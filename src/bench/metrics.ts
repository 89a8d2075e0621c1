// The live metrics' share of a run's time at the default cadence: the quickstart, shortened, its
// seeds trained in one shard in this thread, with every training step and every checkpoint timed.
import { fileURLToPath } from "node:url";
import { init } from "@jax-js/jax";
import { loadSpec, parseSpec } from "../experiment/load.ts";
import { makePlan } from "../train/plan.ts";
import { ShardTrainer } from "../train/shard.ts";

export const metricsShareDefaults = {
  spec: "examples/quickstart.yaml",
  steps: 200, // of the quickstart's 1200: the share per checkpoint interval is the same
  seeds: 8, // one shard's worth of the quickstart's 16 (two threads)
};

export interface MetricsShare { spec: string; engine: string; steps: number; seeds: number; evalEvery: number; trainSeconds: number; checkpointSeconds: number; share: number }

/** Times a shortened quickstart: training steps vs checkpoints (the live metrics and what they read). */
export async function metricsShare(o: { engine?: "auto" | "fused" | "jax"; steps?: number; seeds?: number } = {}): Promise<MetricsShare> {
  await init("wasm");
  const d = metricsShareDefaults, steps = o.steps ?? d.steps, seeds = o.seeds ?? d.seeds;
  const raw = (await loadSpec(fileURLToPath(new URL(`../../${d.spec}`, import.meta.url)))) as Record<string, any>;
  const spec = parseSpec({ ...raw, seeds, train: { ...raw.train, steps, ...(o.engine ? { engine: o.engine } : {}) } }, "bench");
  const plan = makePlan(spec);
  const trainer = new ShardTrainer(plan, Array.from({ length: seeds }, (_, i) => i));
  const cps = new Set(plan.checkpoints);
  let train = 0, checkpoints = 0, t0 = performance.now();
  trainer.checkpoint(0, false);
  checkpoints += performance.now() - t0;
  for (let t = 0; t < steps; t++) {
    t0 = performance.now();
    for (const _ of trainer.step(t));
    train += performance.now() - t0;
    if (!cps.has(t + 1)) continue;
    t0 = performance.now();
    trainer.checkpoint(t + 1, false);
    checkpoints += performance.now() - t0;
  }
  trainer.dispose();
  const r = (v: number) => Math.round(v) / 1000;
  return { spec: d.spec, engine: trainer.engine.engine, steps, seeds, evalEvery: spec.train.evalEvery, trainSeconds: r(train), checkpointSeconds: r(checkpoints), share: Math.round((1000 * checkpoints) / (train + checkpoints)) / 1000 };
}
