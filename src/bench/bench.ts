// `ecotone bench`: model-steps per second and GFLOP/s of the reference workload at several
// ensemble sizes, per engine (the fused Wasm kernel, the jitted jax-js step), on one thread and
// across worker threads (seeds split into shards); optionally the same workload in PyTorch from the
// same run, the machine's fp32 peak, and the share of a run's time the live metrics take.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { shardSeeds } from "../train/shards.ts";
import { tsWorker } from "../util/workers.ts";
import { flopsPerModelStep, timeWorkload, type BenchEngine, type Timed } from "./workload.ts";

/**
 * cpuShare: CPU seconds per wall second per thread of the timed loop (below 1: the machine was
 * busy); cpuGflops: GFLOP per CPU-second, what one core does while it runs (a shared machine's
 * wall-clock figures undercount it); peakShare: gflops over the peak of the cores used.
 */
export interface BenchRow { seeds: number; threads: number; engine: BenchEngine | "torch"; modelStepsPerSec: number; gflops: number; peakShare?: number; cpuShare: number; cpuGflops: number }

export const benchDefaults = {
  seeds: [1, 16, 128], // ensemble sizes
  engines: ["fused", "jax"] as BenchEngine[],
  minSeconds: 3, // timed seconds per row, after warm-up
  python: "/usr/bin/python3", // the interpreter with torch for --compare-torch
  torchThreads: [1, 2], // PyTorch gets the best of these
};

async function timeThreads(seeds: number, threads: number, minSeconds: number, engine: BenchEngine): Promise<{ msps: number; cpuShare: number }> {
  if (threads === 1) {
    const r = await timeWorkload(seeds, minSeconds, engine);
    return { msps: (r.steps * seeds) / r.seconds, cpuShare: r.cpuSeconds / r.seconds };
  }
  const shards = shardSeeds(seeds, threads);
  const workers = shards.map((s) => tsWorker(new URL("./worker.ts", import.meta.url), { seeds: s.length, minSeconds, engine }));
  try {
    // Start every shard at once, after all have loaded, and count each shard's own throughput.
    await Promise.all(workers.map((w) => new Promise((r) => w.once("message", r))));
    const results = await Promise.all(workers.map((w) => {
      const p = new Promise<Timed>((res, rej) => { w.once("message", res); w.once("error", rej); });
      w.postMessage("go");
      return p;
    }));
    // a worker's CPU time is the whole process's (Node 20 has no per-thread clock): any one of them will do
    const cpuShare = Math.max(...results.map((r) => r.cpuSeconds / r.seconds)) / threads;
    return { msps: results.reduce((acc, r, k) => acc + (r.steps * shards[k]!.length) / r.seconds, 0), cpuShare };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface BenchOptions {
  seeds?: number[];
  threads?: number[];
  engines?: BenchEngine[];
  minSeconds?: number;
  compareTorch?: boolean;
  onRow?: (r: BenchRow) => void;
}

export async function bench(o: BenchOptions = {}): Promise<{ rows: BenchRow[]; peak: Peak; torchSkipped?: string }> {
  const cores = availableParallelism(), peak = fp32Peak();
  const threadsList = o.threads ?? [...new Set([1, cores])];
  const rows: BenchRow[] = [];
  const add = (row: BenchRow) => {
    if (peak.gflops) row.peakShare = Math.round((1000 * row.gflops) / (peak.gflops * (row.threads / peak.cores))) / 1000; // of the peak of the cores it ran on
    rows.push(row);
    o.onRow?.(row);
  };
  const seedsList = o.seeds ?? benchDefaults.seeds, minSeconds = o.minSeconds ?? benchDefaults.minSeconds;
  for (const seeds of seedsList)
    for (const engine of o.engines ?? benchDefaults.engines)
      for (const threads of threadsList) {
        if (threads > seeds) continue; // a single model cannot be split across threads
        const { msps, cpuShare } = await timeThreads(seeds, threads, minSeconds, engine);
        add(row(seeds, threads, engine, msps, cpuShare));
      }
  let torchSkipped: string | undefined;
  if (o.compareTorch) {
    const t = await torchReference(seedsList, benchDefaults.torchThreads.filter((n) => n <= cores), minSeconds);
    if ("skipped" in t) torchSkipped = t.skipped;
    else for (const r of t.rows)
      add(row(r.seeds, r.threads, "torch", r.modelStepsPerSec, r.cpuSeconds / r.seconds / r.threads));
  }
  return { rows, peak, ...(torchSkipped ? { torchSkipped } : {}) };
}

function row(seeds: number, threads: number, engine: BenchRow["engine"], msps: number, cpuShare: number): BenchRow {
  const gflops = (msps * flopsPerModelStep()) / 1e9;
  return { seeds, threads, engine, modelStepsPerSec: round(msps), gflops: round(gflops, 100), cpuShare: round(cpuShare, 100), cpuGflops: round(gflops / Math.max(1e-9, cpuShare * threads)) };
}

/** Per ensemble size: the best of an engine over its thread counts, and ours over PyTorch's best. */
export function torchRatios(rows: BenchRow[]): { seeds: number; engine: BenchEngine; ratio: number; ours: number; torch: number; torchThreads: number }[] {
  const best = (seeds: number, engine: BenchRow["engine"]) =>
    rows.filter((r) => r.seeds === seeds && r.engine === engine).reduce<BenchRow | undefined>((b, r) => (!b || r.modelStepsPerSec > b.modelStepsPerSec ? r : b), undefined);
  const out: ReturnType<typeof torchRatios> = [];
  for (const seeds of [...new Set(rows.map((r) => r.seeds))]) {
    const t = best(seeds, "torch");
    if (!t) continue;
    for (const engine of ["fused", "jax"] as const) {
      const e = best(seeds, engine);
      if (e) out.push({ seeds, engine, ratio: round(e.modelStepsPerSec / t.modelStepsPerSec, 100), ours: e.modelStepsPerSec, torch: t.modelStepsPerSec, torchThreads: t.threads });
    }
  }
  return out;
}

/**
 * The machine's fp32 peak: cores × clock × FLOPs per cycle per core, 32 with AVX2 and FMA (two
 * 256-bit FMA pipes × 8 lanes × 2), 16 with AVX, 8 with SSE only. The clock is the highest a core
 * reports (cpufreq's maximum where the kernel exposes it, else /proc/cpuinfo's current MHz).
 */
export interface Peak { gflops: number; cores: number; ghz: number; flopsPerCycle: number; how: string }
export function fp32Peak(): Peak {
  const cores = availableParallelism();
  let mhz = Math.max(0, ...cpus().map((c) => c.speed));
  let flags = "";
  try {
    const max = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq";
    if (existsSync(max)) mhz = Math.max(mhz, Number(readFileSync(max, "utf8")) / 1000);
    const info = readFileSync("/proc/cpuinfo", "utf8");
    flags = /^flags\s*:(.*)$/m.exec(info)?.[1] ?? "";
    for (const m of info.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)) mhz = Math.max(mhz, Number(m[1]));
  } catch { /* not Linux: the clock from os.cpus() alone */ }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  const flopsPerCycle = has("avx2") && has("fma") ? 32 : has("avx") ? 16 : 8;
  const ghz = mhz / 1000;
  return {
    gflops: round(cores * ghz * flopsPerCycle), cores, ghz: round(ghz, 1000), flopsPerCycle,
    how: `${cores} cores × ${ghz.toFixed(3)} GHz × ${flopsPerCycle} FLOP/cycle (${flopsPerCycle === 32 ? "AVX2 FMA: 2 pipes × 8 lanes × 2" : flopsPerCycle === 16 ? "AVX" : "SSE"})`,
  };
}

type TorchRow = { seeds: number; threads: number; modelStepsPerSec: number; steps: number; seconds: number; cpuSeconds: number };

/**
 * Runs bench/torch_reference.py: PyTorch's model-steps/s per (seeds, threads), or why it was
 * skipped. One process per thread count, with the BLAS pool sized to match: Debian's OpenBLAS
 * ignores torch.set_num_threads and would use every core in a "1-thread" row.
 */
async function torchReference(seeds: number[], threads: number[], minSeconds: number): Promise<{ rows: TorchRow[] } | { skipped: string }> {
  const python = benchDefaults.python;
  if (!existsSync(python)) return { skipped: `${python} not found` };
  const script = fileURLToPath(new URL("../../bench/torch_reference.py", import.meta.url));
  const rows: TorchRow[] = [];
  for (const t of threads) {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(t), OMP_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t) };
    const r = await new Promise<TorchRow[] | { skipped: string }>((resolve) => {
      execFile(python, [script, "--seeds", seeds.join(","), "--threads", String(t), "--seconds", String(minSeconds)], { timeout: 900_000, env }, (err, stdout, stderr) => {
        if (err) return resolve({ skipped: /No module named .?torch/.test(stderr) ? `${python} has no torch` : `torch_reference.py failed: ${(stderr || err.message).trim().split("\n").pop()}` });
        resolve(stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as TorchRow));
      });
    });
    if (!Array.isArray(r)) return r;
    rows.push(...r);
  }
  return { rows };
}

const round = (v: number, k = 10) => Math.round(v * k) / k;
