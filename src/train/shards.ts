// Splits an ensemble into contiguous seed shards and runs them: in-process for small runs,
// one worker thread per core otherwise. Both paths run the same ShardTrainer generator.
import { availableParallelism } from "node:os";
import type { ExperimentSpec } from "../experiment/schema.ts";
import type { RunPlan } from "./plan.ts";
import { ShardTrainer, type Reference, type ShardEvent } from "./shard.ts";
import { gateDefaults, waitForStore, type WriteGate } from "./gate.ts";
import type { ShardJob } from "./worker.ts";
import { tsWorker } from "../util/workers.ts";

/** Threads to use: all cores once there are enough seeds to amortise a worker's start-up. */
export function autoThreads(seeds: number): number {
  return seeds >= 8 ? Math.min(availableParallelism(), Math.floor(seeds / 4)) : 1;
}

/** Contiguous, near-equal seed ranges. */
export function shardSeeds(seeds: number, shards: number): number[][] {
  const out: number[][] = [];
  const n = Math.max(1, Math.min(shards, seeds));
  for (let k = 0, start = 0; k < n; k++) {
    const size = Math.floor(seeds / n) + (k < seeds % n ? 1 : 0);
    out.push(Array.from({ length: size }, (_, i) => start + i));
    start += size;
  }
  return out;
}

export interface ShardRunOptions {
  threads: number;
  from: number;
  states?: Float32Array[]; // per shard, to resume
  wantState: boolean;
  reference?: Reference;
  signal?: AbortSignal;
  onEvent: (shard: number, ev: ShardEvent) => void;
  gate?: WriteGate; // the caller counts each checkpoint it has written there; training keeps within gateDefaults.aheadCheckpoints of it
}

/** Runs all shards to the end (or until aborted). Resolves when every shard has stopped. */
export async function runShards(plan: RunPlan, spec: ExperimentSpec, shards: number[][], o: ShardRunOptions): Promise<void> {
  if (o.threads <= 1 && shards.length === 1) {
    const trainer = new ShardTrainer(plan, shards[0]!, o.reference);
    if (o.states?.[0]) trainer.restore(o.states[0], o.from);
    let handed = 0; // checkpoints handed over
    for (const ev of trainer.run(o.from, undefined, o.wantState)) {
      o.onEvent(0, ev);
      if (ev.type === "progress") await new Promise((r) => setImmediate(r)); // let Ctrl-C and writes in
      if (ev.type === "checkpoint" && o.gate) await waitForStore(o.gate.buffer, ++handed - gateDefaults.aheadCheckpoints, () => o.signal?.aborted === true);
      if (o.signal?.aborted) return;
    }
    return;
  }
  const entry = new URL("./worker.ts", import.meta.url);
  await Promise.all(shards.map((seeds, k) => new Promise<void>((resolve, reject) => {
    const job: ShardJob = { spec, seeds, from: o.from, state: o.states?.[k], wantState: o.wantState, reference: o.reference, gate: o.gate?.buffer, ahead: gateDefaults.aheadCheckpoints };
    const w = tsWorker(entry, job);
    const stop = () => w.postMessage("stop");
    o.signal?.addEventListener("abort", stop, { once: true });
    w.on("message", (ev: ShardEvent | { type: "done" }) => {
      if (ev.type === "done") return;
      o.onEvent(k, ev);
    });
    w.on("error", reject);
    w.on("exit", (code) => {
      o.signal?.removeEventListener("abort", stop);
      code === 0 || o.signal?.aborted ? resolve() : reject(new Error(`training worker ${k} exited with code ${code}`));
    });
  })));
}
