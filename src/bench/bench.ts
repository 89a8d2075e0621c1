// `ecotone bench`: model-steps per second and GFLOP/s of the reference workload at several
// ensemble sizes, on one thread and across worker threads (seeds split into shards).
import { availableParallelism } from "node:os";
import { shardSeeds } from "../train/shards.ts";
import { tsWorker } from "../util/workers.ts";
import { flopsPerModelStep, timeWorkload } from "./workload.ts";

export interface BenchRow { seeds: number; threads: number; modelStepsPerSec: number; gflops: number; steps: number; seconds: number }

export const benchDefaults = {
  seeds: [1, 16, 128], // ensemble sizes
  minSeconds: 3, // timed seconds per row, after warm-up
};

async function timeThreads(seeds: number, threads: number, minSeconds: number): Promise<number> {
  if (threads === 1) {
    const r = await timeWorkload(seeds, minSeconds);
    return (r.steps * seeds) / r.seconds;
  }
  const shards = shardSeeds(seeds, threads);
  const workers = shards.map((s) => tsWorker(new URL("./worker.ts", import.meta.url), { seeds: s.length, minSeconds }));
  try {
    // Start every shard at once, after all have loaded, and count each shard's own throughput.
    await Promise.all(workers.map((w) => new Promise((r) => w.once("message", r))));
    const results = await Promise.all(workers.map((w) => {
      const p = new Promise<{ steps: number; seconds: number }>((res, rej) => { w.once("message", res); w.once("error", rej); });
      w.postMessage("go");
      return p;
    }));
    return results.reduce((acc, r, k) => acc + (r.steps * shards[k]!.length) / r.seconds, 0);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function bench(o: { seeds?: number[]; threads?: number[]; minSeconds?: number; onRow?: (r: BenchRow) => void } = {}): Promise<BenchRow[]> {
  const cores = availableParallelism();
  const threadsList = o.threads ?? [...new Set([1, cores])];
  const rows: BenchRow[] = [];
  for (const seeds of o.seeds ?? benchDefaults.seeds)
    for (const threads of threadsList) {
      if (threads > seeds) continue; // a single model cannot be split across threads
      const msps = await timeThreads(seeds, threads, o.minSeconds ?? benchDefaults.minSeconds);
      const row = { seeds, threads, modelStepsPerSec: round(msps), gflops: round((msps * flopsPerModelStep()) / 1e9), steps: 0, seconds: 0 };
      rows.push(row);
      o.onRow?.(row);
    }
  return rows;
}

const round = (v: number) => Math.round(v * 10) / 10;
