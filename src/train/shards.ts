// Splits an ensemble into contiguous seed shards and runs them: in-process for small runs,
// one worker thread per core otherwise. Both paths run the same ShardTrainer generator.
import { availableParallelism } from "node:os";
import type { ExperimentSpec } from "../experiment/schema.ts";
import type { RunPlan } from "./plan.ts";
import { ShardTrainer, type Reference, type ShardEvent } from "./shard.ts";
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

export const shardDefaults = {
  // How many checkpoints training may run ahead of the store. Each one handed over and not yet
  // written holds its metrics and resumable state in memory (7 MB for the quickstart): without a
  // bound, a store slower than training (a team's PostgreSQL across a network) filled memory.
  aheadCheckpoints: 4,
};

/**
 * Checkpoints written to the store so far, in a SharedArrayBuffer that every training thread sees:
 * a shard that has handed over `aheadCheckpoints` more waits for the store (in Atomics.waitAsync,
 * so a stop still reaches it). Where it waits, after a checkpoint, is outside its training time.
 */
export class WriteGate {
  readonly buffer = new SharedArrayBuffer(4);
  private readonly count = new Int32Array(this.buffer);
  /** One more checkpoint written. */
  written(): void {
    Atomics.add(this.count, 0, 1);
    Atomics.notify(this.count, 0);
  }
  /** Nothing more will be written (stopping): let every waiting shard go on to see its stop. */
  open(): void {
    Atomics.store(this.count, 0, 2 ** 30);
    Atomics.notify(this.count, 0);
  }
}

/** Waits until the store has written `n` checkpoints (counted in `buffer`, a WriteGate's), or `stopped()`. */
export async function waitForStore(buffer: SharedArrayBuffer, n: number, stopped: () => boolean): Promise<void> {
  const count = new Int32Array(buffer);
  for (;;) {
    const now = Atomics.load(count, 0);
    if (now >= n || stopped()) return;
    const w = (Atomics as unknown as AtomicsWaitAsync).waitAsync(count, 0, now, 100); // woken by a write; every 100 ms it looks for a stop
    if (w.async) await w.value;
  }
}

// In Node since 16; in TypeScript's lib from es2024 on
type AtomicsWaitAsync = { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false } | { async: true; value: Promise<unknown> } };

export interface ShardRunOptions {
  threads: number;
  from: number;
  states?: Float32Array[]; // per shard, to resume
  wantState: boolean;
  reference?: Reference;
  signal?: AbortSignal;
  onEvent: (shard: number, ev: ShardEvent) => void;
  gate?: WriteGate; // the caller counts each checkpoint it has written there; training keeps within shardDefaults.aheadCheckpoints of it
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
      if (ev.type === "checkpoint" && o.gate) await waitForStore(o.gate.buffer, ++handed - shardDefaults.aheadCheckpoints, () => o.signal?.aborted === true);
      if (o.signal?.aborted) return;
    }
    return;
  }
  const entry = new URL("./worker.ts", import.meta.url);
  await Promise.all(shards.map((seeds, k) => new Promise<void>((resolve, reject) => {
    const job: ShardJob = { spec, seeds, from: o.from, state: o.states?.[k], wantState: o.wantState, reference: o.reference, gate: o.gate?.buffer, ahead: shardDefaults.aheadCheckpoints };
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
