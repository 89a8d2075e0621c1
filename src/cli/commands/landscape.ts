// `ecotone landscape <runId>`: sharpness, Hessian trace, 1-D slice and robustness of a stored model.
import { landscapeOfRun, type RunLandscape } from "../../stability/landscape.ts";
import { openStore } from "../../store/index.ts";

export interface LandscapeOpts { store: string; seed?: number; iters?: number; samples?: number; steps?: number; range?: number; draws?: number; json?: boolean }

export default async function (runId: string, o: LandscapeOpts): Promise<void> {
  const store = await openStore(o.store);
  try {
    const r = await landscapeOfRun(store, runId, { seed: o.seed, iters: o.iters, samples: o.samples, steps: o.steps, range: o.range, draws: o.draws });
    console.log(o.json ? JSON.stringify(r) : render(r));
  } finally {
    await store.close();
  }
}

const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : "—");

export function render(r: RunLandscape): string {
  const row = (xs: number[], d = 3) => xs.map((x) => f(x, d).padStart(7)).join("");
  const mid = (r.slice.losses.length - 1) >> 1;
  return [
    `landscape of ${r.runId} seed ${r.seed} at step ${r.step}: ${r.params} parameters, ${r.n} probes of the trained environments`,
    `  loss ${f(r.loss, 4)}, accuracy ${f(r.acc)}`,
    `  sharpness (top Hessian eigenvalue) ${f(r.sharpness.eigenvalue, 4)}${r.sharpness.converged ? "" : " (not converged)"} after ${r.sharpness.iters} HVPs`,
    `  Hessian trace ${f(r.trace.mean, 4)} ± ${f(r.trace.stderr, 4)}`,
    `  1-D slice along a filter-normalised direction: loss at α = ${f(r.slice.alphas[0]!, 2)}, 0, ${f(r.slice.alphas.at(-1)!, 2)}: ${f(r.slice.losses[0]!)}, ${f(r.slice.losses[mid]!)}, ${f(r.slice.losses.at(-1)!)}`,
    `  weight noise σ   ${row(r.weightNoise.sigmas, 2)}`,
    `        accuracy   ${row(r.weightNoise.acc)}`,
    `  weight dropout p ${row(r.dropout.rates, 2)}`,
    `        accuracy   ${row(r.dropout.acc)}`,
  ].join("\n");
}
