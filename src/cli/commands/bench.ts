import { bench, benchDefaults, type BenchRow } from "../../bench/bench.ts";
import { flopsPerModelStep } from "../../bench/workload.ts";

export default async function (opts: { seeds?: number[]; threads?: number[]; seconds?: number; json?: boolean }): Promise<void> {
  const log = (l: string) => process.stderr.write(l + "\n");
  log(`reference workload: MLP 32→128→128→8, batch 64, Adam; ${(flopsPerModelStep() / 1e6).toFixed(2)} MFLOP per model-step`);
  const show = (r: BenchRow) => `seeds ${String(r.seeds).padStart(4)}  threads ${r.threads}  ${r.modelStepsPerSec.toFixed(0).padStart(6)} model-steps/s  ${r.gflops.toFixed(2).padStart(6)} GFLOP/s`;
  const rows = await bench({ seeds: opts.seeds ?? benchDefaults.seeds, threads: opts.threads, minSeconds: opts.seconds, onRow: (r) => { if (!opts.json) console.log(show(r)); else log(show(r)); } });
  if (opts.json) console.log(JSON.stringify({ results: rows.map(({ seeds, threads, modelStepsPerSec, gflops }) => ({ seeds, threads, modelStepsPerSec, gflops })) }));
}
