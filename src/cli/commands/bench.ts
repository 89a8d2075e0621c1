import { loadavg } from "node:os";
import { bench, benchDefaults, fp32Peak, torchRatios, type BenchRow } from "../../bench/bench.ts";
import { metricsShare, type MetricsShare } from "../../bench/metrics.ts";
import { benchTransformer, describeTransformerWorkload, showTransformerRow, transformerBenchDefaults } from "../../bench/transformer.ts";
import { flopsPerModelStep } from "../../bench/workload.ts";
import { EcotoneError, nearest } from "../../util/errors.ts";

export default async function (opts: { seeds?: number[]; threads?: number[]; seconds?: number; json?: boolean; model?: string; compareTorch?: boolean; engine?: string[]; metrics?: boolean }): Promise<void> {
  const log = (l: string) => process.stderr.write(l + "\n");
  if (opts.model === "transformer") {
    if (opts.threads) throw new EcotoneError("E_ARGS", "--threads: the transformer workload runs on one thread (leave --threads out)");
    return transformerBench(opts, log);
  }
  if (opts.model !== undefined && opts.model !== "mlp") {
    const near = nearest(opts.model, ["mlp", "transformer"]);
    throw new EcotoneError("E_ARGS", `--model: no reference workload for ${opts.model}${near ? ` (did you mean ${near}?)` : ""}; have mlp, transformer`);
  }
  const engines = (opts.engine ?? benchDefaults.engines).map((e) => {
    if (e === "fused" || e === "jax") return e;
    const near = nearest(e, ["fused", "jax"]);
    throw new EcotoneError("E_ARGS", `--engine: no engine ${e}${near ? ` (did you mean ${near}?)` : ""}; have fused, jax`);
  });
  const peak = fp32Peak();
  log(`reference workload: MLP 32→128→128→8, batch 64, Adam; ${(flopsPerModelStep() / 1e6).toFixed(2)} MFLOP per model-step`);
  log(`fp32 peak ${peak.gflops} GFLOP/s = ${peak.how}; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const out = opts.json ? log : (l: string) => console.log(l);
  const show = (r: BenchRow) =>
    `seeds ${String(r.seeds).padStart(4)}  threads ${r.threads}  ${r.engine.padEnd(5)} ${r.modelStepsPerSec.toFixed(0).padStart(6)} model-steps/s  ${r.gflops.toFixed(2).padStart(6)} GFLOP/s` +
    `${r.peakShare !== undefined ? `  ${(100 * r.peakShare).toFixed(1).padStart(5)}% of peak` : ""}  (cpu ${r.cpuShare.toFixed(2)} per thread; ${r.cpuGflops.toFixed(1)} GFLOP per CPU-second)`;
  const { rows, torchSkipped } = await bench({ seeds: opts.seeds ?? benchDefaults.seeds, threads: opts.threads, engines, minSeconds: opts.seconds, compareTorch: opts.compareTorch, onRow: (r) => out(show(r)) });
  if (torchSkipped) log(`torch comparison skipped: ${torchSkipped}`);
  const ratios = torchRatios(rows);
  for (const r of ratios) out(`seeds ${String(r.seeds).padStart(4)}  ${r.engine} / torch (best of its threads: ${r.torchThreads}) = ${r.ratio.toFixed(2)}×`);
  let share: MetricsShare | undefined;
  if (opts.metrics !== false) {
    share = await metricsShare({ engine: engines[0] });
    out(`live metrics: ${(100 * share.share).toFixed(0)}% of a run's time (${share.spec}, ${share.steps} steps × ${share.seeds} seeds, ${share.checkpoints} checkpoints every ${share.evalEvery}, engine ${share.engine}: training ${share.trainSeconds} s, checkpoints ${share.checkpointSeconds} s)`);
    const per = Object.entries(share.perCheckpointMs), ms = (e: [string, number][]) => e.map(([k, v]) => `${k.replace("read:", "")} ${v}`).join(", ");
    out(`  ms per checkpoint after the first (${share.firstCheckpointMs} ms): ${ms(per.filter(([k]) => !k.startsWith("read:")))}; of which reading ${ms(per.filter(([k]) => k.startsWith("read:")))}`);
  }
  if (opts.json)
    console.log(JSON.stringify({
      results: rows, peak, load: loadavg(), ...(ratios.length ? { torch: ratios } : {}), ...(torchSkipped ? { torchSkipped } : {}), ...(share ? { metricsShare: share } : {}),
    }));
}

/** `--model transformer`: tokens/s and model-steps/s of the transformer workload, one thread (issue 12). */
async function transformerBench(opts: { seeds?: number[]; seconds?: number; json?: boolean; compareTorch?: boolean }, log: (l: string) => void): Promise<void> {
  log(`reference workload: ${describeTransformerWorkload()}`);
  const { rows, torchSkipped } = await benchTransformer({ seeds: opts.seeds ?? transformerBenchDefaults.seeds, minSeconds: opts.seconds, compareTorch: opts.compareTorch, onRow: (r) => (opts.json ? log : console.log)(showTransformerRow(r)) });
  if (torchSkipped) log(`torch comparison skipped: ${torchSkipped}`);
  if (opts.json) console.log(JSON.stringify({ model: "transformer", results: rows, ...(torchSkipped ? { torchSkipped } : {}) }));
}
