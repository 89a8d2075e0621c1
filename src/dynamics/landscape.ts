// The whole curvature-and-robustness picture of one model at one point, in one call: loss and
// accuracy, sharpness (top Hessian eigenvalue), Hessian trace, a 1-D filter-normalised slice,
// and the weight-noise and weight-dropout curves. Each part is the function of the same name in
// this folder; this only runs them together with settings that suit a small classifier.
import { numpy as np, tree } from "@jax-js/jax";
import type { Params } from "./_tree.ts";
import { weightDropoutCurve } from "./dropout.ts";
import { hutchinsonTrace, topEigenvalue } from "./hessian.ts";
import { type Labelled, type Model, classifierMetrics, crossEntropy } from "./model.ts";
import { weightNoiseCurve } from "./robustness.ts";
import { slice1d } from "./slices.ts";

export const landscapeDefaults = {
  iters: 50, // power-iteration HVPs for the top eigenvalue
  samples: 16, // Hutchinson probes for the trace
  steps: 21, // points of the 1-D slice
  range: 1, // the slice spans α ∈ [−range, range] along a filter-normalised direction
  filterAxis: 1, // filters of a [in, out] weight are its output units (x @ W)
  sigmas: [0, 0.01, 0.03, 0.1, 0.3], // relative weight-noise scales
  rates: [0, 0.05, 0.1, 0.2, 0.3], // weight-dropout probabilities
  draws: 4, // noise / dropout draws per point
  seed: 0,
};
export type LandscapeOptions = Partial<typeof landscapeDefaults>;

export interface Landscape {
  loss: number; // mean cross-entropy at the point
  acc: number; // accuracy at the point
  sharpness: { eigenvalue: number; iters: number; converged: boolean };
  trace: { mean: number; stderr: number };
  slice: { alphas: number[]; losses: number[] };
  weightNoise: { sigmas: number[]; loss: number[]; acc: number[] }; // means over draws
  dropout: { rates: number[]; loss: number[]; acc: number[] };
}

/** Curvature and robustness of classifier `f` at `params` on a labelled batch. Borrows everything. */
export function landscape<P extends Params>(f: Model<P>, params: P, batch: Labelled, o: LandscapeOptions = {}): Landscape {
  // an option passed as undefined (a CLI flag not given) keeps its default
  const c = { ...landscapeDefaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) c[k] = v;
  const { iters, samples, steps, range, filterAxis, sigmas, rates, draws, seed } = c as typeof landscapeDefaults;
  const loss = crossEntropy(f);
  const metrics = classifierMetrics(f);
  const here = metrics(tree.ref(params), { x: batch.x.ref, y: batch.y.ref });
  const top = topEigenvalue(loss, params, batch, { iters, seed });
  const trace = hutchinsonTrace(loss, params, batch, { samples, seed });
  const slice = slice1d(loss, params, batch, { range: [-range, range], steps, seed, filterAxis });
  const noise = weightNoiseCurve(metrics, params, batch, { sigmas, draws, seed });
  const drop = weightDropoutCurve(metrics, params, batch, { rates, draws, seed });
  return {
    loss: (here.loss as np.Array).item(),
    acc: (here.acc as np.Array).item(),
    sharpness: { eigenvalue: top.eigenvalue, iters: top.iters, converged: top.converged },
    trace: { mean: trace.mean, stderr: trace.stderr },
    slice,
    weightNoise: { sigmas: noise.sigmas, loss: noise.metrics.loss!.mean, acc: noise.metrics.acc!.mean },
    dropout: { rates: drop.rates, loss: drop.metrics.loss!.mean, acc: drop.metrics.acc!.mean },
  };
}
