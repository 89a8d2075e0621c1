// Local learning coefficient (Lau et al. 2023, "Quantifying degeneracy in singular models via the
// learning coefficient"), with devinterp's SGLD estimator. The LLC λ̂(w*) counts the effective
// number of parameters at a minimum: d/2 for a regular model, less where the loss is degenerate.
// Tracked over checkpoints, its jumps mark phase transitions ("goal crystallisation", claim 4).
import { numpy as np, tree, vmap } from "@jax-js/jax";
import { Rng } from "../util/rng.ts";
import {
  type Loss,
  type Params,
  STREAM,
  assertFinite,
  expect,
  flatSpec,
  jitted,
  meanStd,
  valueAndGradOf,
} from "./_tree.ts";

export interface LlcOptions {
  n: number; // number of samples behind the loss L_n (the dataset size)
  beta?: number; // inverse temperature β; default 1/log n, the WBIC temperature
  gamma?: number; // localisation γ: strength of the Gaussian prior centred on w*; default 100
  stepSize?: number; // SGLD step size ε; default 1e-3
  chains?: number; // independent chains, all started at w*; llcStd is their spread; default 4
  draws?: number; // recorded steps per chain; default 200
  burnIn?: number; // steps discarded before recording; default 100
  seed?: number;
}

export interface LlcResult {
  llc: number; // mean over chains of n β (E[L_n(w)] − L_n(w*))
  llcStd: number; // standard deviation of the per-chain estimates
  chains: { llc: number; lossTrace: number[] }[]; // L_n along each chain, recorded draws only
  // Fraction of recorded draws with L_n below L_n(w*). Near 0 is healthy; a large value says w*
  // is not a local minimum, or ε is so large that the chain has left its basin.
  fractionBelowInit: number;
  initLoss: number; // L_n(w*)
  nBeta: number; // n β, the scale of the estimator
}

/**
 * A compiled SGLD sampler for one loss and one set of hyperparameters, runnable at many points.
 * Each step, for all chains at once (vmapped over a leading chain axis):
 *   w ← w − (ε/2) (n β ∇L_n(w) + γ (w − w*)) + N(0, ε I)
 * which samples the localised tempered posterior ∝ exp(−n β L_n(w) − γ/2 ‖w − w*‖²). The loss
 * is evaluated full-batch: `batch` should hold all n samples, and L_n should be their mean NLL.
 */
function sgldSampler<P extends Params, B extends Params>(loss: Loss<P, B>, opts: LlcOptions) {
  const { n, beta = 1 / Math.log(n), gamma = 100, stepSize: eps = 1e-3 } = opts;
  const { chains = 4, draws = 200, burnIn = 100, seed = 0 } = opts;
  expect(Number.isFinite(n) && n > 1, "n: the dataset size, > 1", n);
  expect(eps > 0 && beta > 0 && gamma >= 0, "stepSize > 0, beta > 0, gamma ≥ 0", { eps, beta, gamma });
  expect([chains, draws].every((k) => Number.isInteger(k) && k >= 1), "chains and draws ≥ 1", { chains, draws });
  const nBeta = n * beta;
  const one = (w: P, wStar: P, noise: P, b: B): [P, np.Array] => {
    const [L, g] = valueAndGradOf(loss)(tree.ref(w), b);
    const drift = (wi: np.Array, si: np.Array, gi: np.Array) => gi.mul(nBeta).add(wi.sub(si).mul(gamma));
    const next = tree.map(
      (wi: np.Array, si: np.Array, gi: np.Array, zi: np.Array) =>
        wi.ref.sub(drift(wi, si, gi).mul(eps / 2)).add(zi.mul(Math.sqrt(eps))),
      w, wStar, g, noise,
    ) as P;
    return [next, L];
  };
  const step = jitted(vmap(one, [0, null, 0, null]) as unknown as typeof one); // [chains, ...]

  const run = (params: P, batch: B): LlcResult => {
    const spec = flatSpec(params);
    const initLoss = assertFinite(loss(tree.ref(params), tree.ref(batch)).item(), "as the loss at w*");
    const stack = (x: np.Array) => np.broadcastTo(x.reshape([1, ...x.shape]), [chains, ...x.shape]);
    let w = tree.map(stack, tree.ref(params)) as P; // leaves [chains, ...leaf]
    // one stream per chain: chain c's path does not depend on how many chains run beside it
    const rngs = Array.from({ length: chains }, (_, c) => new Rng(seed, STREAM.sgld, c));
    const sizes = spec.shapes.map((_, i) => spec.offsets[i + 1]! - spec.offsets[i]!);
    const noise = sizes.map((s) => new Float32Array(chains * s)); // per leaf [chains, ...leaf]
    const traces = Array.from({ length: chains }, () => new Float64Array(draws));
    for (let t = 0; t < burnIn + draws; t++) {
      rngs.forEach((rng, c) => noise.forEach((z, i) => rng.fillNormal(z, 1, c * sizes[i]!, sizes[i]!)));
      const z = noise.map((buf, i) => np.array(buf, { shape: [chains, ...spec.shapes[i]!] }));
      const [next, L] = step(w, tree.ref(params), tree.unflatten(spec.treedef, z) as P, tree.ref(batch));
      w = next;
      const losses = L.dataSync() as Float32Array; // [chains]: L_n at w before this step
      losses.forEach((l, c) => {
        assertFinite(l, `loss in SGLD at step ${t}, chain ${c} (try a smaller stepSize than ${eps})`);
        if (t >= burnIn) traces[c]![t - burnIn] = l;
      });
    }
    tree.dispose(w);
    const perChain = traces.map((tr) => nBeta * (meanStd(tr).mean - initLoss));
    const below = traces.reduce((s, tr) => s + tr.filter((l) => l < initLoss).length, 0);
    const { mean, std } = meanStd(perChain);
    return {
      llc: mean,
      llcStd: std,
      chains: traces.map((tr, c) => ({ llc: perChain[c]!, lossTrace: Array.from(tr) })),
      fractionBelowInit: below / (chains * draws),
      initLoss,
      nBeta,
    };
  };
  return { run, dispose: () => step.dispose() };
}

/** The LLC of `loss` at `params` (= w*, ideally a local minimum). Borrows params and batch. */
export function llc<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  params: P,
  batch: B,
  opts: LlcOptions,
): LlcResult {
  const sampler = sgldSampler(loss, opts);
  try {
    return sampler.run(params, batch);
  } finally {
    sampler.dispose();
  }
}

/**
 * The LLC at each of a list of checkpoints, with one compiled sampler and the same noise at every
 * checkpoint (common random numbers), so that differences between checkpoints are not sampling
 * noise. Feed `llc` to `changePoints` to flag candidate phase transitions. Borrows its arguments.
 */
export function llcTrajectory<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  checkpoints: P[],
  batch: B,
  opts: LlcOptions,
): { llc: number[]; llcStd: number[]; results: LlcResult[] } {
  const sampler = sgldSampler(loss, opts);
  try {
    const results = checkpoints.map((p) => sampler.run(p, batch));
    return { llc: results.map((r) => r.llc), llcStd: results.map((r) => r.llcStd), results };
  } finally {
    sampler.dispose();
  }
}
