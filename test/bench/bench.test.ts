// `ecotone bench` for the MLP workload: rows per engine, the fp32 peak, the PyTorch ratio, and the
// live metrics' share of a run. Timings are not asserted (the machine is shared): only that each
// number is measured and consistent with the others.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { bench, fp32Peak, torchRatios, type BenchRow } from "../../src/bench/bench.ts";
import { metricsShare } from "../../src/bench/metrics.ts";
import { flopsPerModelStep } from "../../src/bench/workload.ts";

describe("bench", () => {
  it("times each engine: rows say which, GFLOP/s = model-steps/s × FLOPs per model-step, the share of the peak of the cores used", async () => {
    const { rows, peak } = await bench({ seeds: [2], threads: [1], engines: ["fused", "jax"], minSeconds: 0.2 });
    assert.deepEqual(rows.map((r) => r.engine), ["fused", "jax"]);
    for (const r of rows) {
      assert.ok(r.modelStepsPerSec > 0 && r.cpuShare > 0, JSON.stringify(r));
      assert.ok(Math.abs(r.gflops - (r.modelStepsPerSec * flopsPerModelStep()) / 1e9) < 0.051, JSON.stringify(r));
      assert.ok(Math.abs(r.cpuGflops - r.gflops / (r.cpuShare * r.threads)) <= 0.05 * r.cpuGflops + 0.1, JSON.stringify(r));
      if (peak.gflops > 0) assert.ok(Math.abs(r.peakShare! - r.gflops / (peak.gflops / peak.cores)) < 0.002, JSON.stringify(r));
    }
  });

  it("the reference workload's FLOPs: 3 × 2 × 64 × (32·128 + 128·128 + 128·8)", () => assert.equal(flopsPerModelStep(), 3 * 2 * 64 * (32 * 128 + 128 * 128 + 128 * 8)));

  it("the fp32 peak is cores × clock × 32 FLOP/cycle on an AVX2+FMA machine", (t) => {
    if (!existsSync("/proc/cpuinfo")) return t.skip("no /proc/cpuinfo on this machine");
    const p = fp32Peak(), flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
    if (!/\bavx2\b/.test(flags) || !/\bfma\b/.test(flags)) return t.skip("this CPU has no AVX2 and FMA");
    assert.equal(p.flopsPerCycle, 32);
    assert.ok(p.ghz > 0.5 && p.ghz < 7, `clock ${p.ghz} GHz`);
    assert.ok(Math.abs(p.gflops - p.cores * p.ghz * 32) < 0.2, JSON.stringify(p));
  });

  it("compares each engine's best thread count with PyTorch's best", () => {
    const row = (seeds: number, threads: number, engine: BenchRow["engine"], msps: number): BenchRow => ({ seeds, threads, engine, modelStepsPerSec: msps, gflops: 0, cpuShare: 1, cpuGflops: 0 });
    const r = torchRatios([row(128, 1, "fused", 1000), row(128, 2, "fused", 1900), row(128, 1, "torch", 800), row(128, 2, "torch", 1000), row(128, 2, "jax", 500), row(1, 1, "fused", 10)]);
    assert.deepEqual(r, [
      { seeds: 128, engine: "fused", ratio: 1.9, ours: 1900, torch: 1000, torchThreads: 2 },
      { seeds: 128, engine: "jax", ratio: 0.5, ours: 500, torch: 1000, torchThreads: 2 },
    ]);
  });

  it("measures the live metrics' share of a shortened quickstart, split by metric", async () => {
    const m = await metricsShare({ steps: 40, seeds: 2 });
    assert.equal(m.engine, "fused");
    assert.equal(m.checkpoints, 2); // before training and at the end (evalEvery 50)
    assert.ok(m.trainSeconds > 0 && m.checkpointSeconds > 0, JSON.stringify(m));
    const total = m.trainSeconds + m.checkpointSeconds; // each rounded to the millisecond: a tiny run's share can differ in the third digit
    assert.ok(Math.abs(m.share - m.checkpointSeconds / total) < 0.001 + 0.002 / total, JSON.stringify(m));
    for (const k of ["perf", "behaviour", "plasticity", "representation", "conflict", "read:outputs", "read:counterfactual", "read:envGradients"]) assert.ok(m.perCheckpointMs[k]! > 0, `${k}: ${JSON.stringify(m.perCheckpointMs)}`);
    // the metrics' own times add up to (at most) the one later checkpoint's time
    const own = Object.entries(m.perCheckpointMs).filter(([k]) => !k.startsWith("read:")).reduce((a, [, v]) => a + v, 0);
    const later = 1000 * m.checkpointSeconds - m.firstCheckpointMs;
    assert.ok(own <= later + 1 && own >= 0.5 * later, `metrics ${own} ms of a ${later} ms checkpoint`);
  });
});
