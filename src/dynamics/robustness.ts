// Robustness to weight noise: loss and accuracy when every parameter is jittered by Gaussian
// noise of relative scale σ. Flat minima degrade gracefully, sharp ones fall off a cliff (claim 4:
// "flat valleys generalise, sharp ones are brittle"), so the curve over σ is a flatness probe
// that, unlike the Hessian, also sees beyond second order.
import { numpy as np, tree } from "@jax-js/jax";
import { Rng } from "../util/rng.ts";
import { type Params, STREAM, assertFinite, expect, flatSpec, fromFlat, jitted, asRecord, curveStats, toFlat } from "./_tree.ts";

/** Metrics of a model on a batch: one scalar (reported as `loss`) or named scalars. */
export type Evaluate<P extends Params, B extends Params> = (
  params: P,
  batch: B,
) => np.Array | Record<string, np.Array>;

export interface NoiseOptions {
  sigmas?: number[]; // relative noise scales, one point of the curve each
  draws?: number; // noise draws averaged per σ
  seed?: number;
}

export interface NoiseCurve {
  sigmas: number[];
  metrics: Record<string, { mean: number[]; std: number[] }>; // std over draws, per σ
}

/**
 * Metrics under weight noise: for each σ, the mean and spread over `draws` of
 * `evaluate(w + δ, batch)` with δ = σ · rms(w_leaf) · ε, ε ~ N(0, I), per pytree leaf. Scaling
 * by each leaf's RMS makes ‖δ_leaf‖ ≈ σ ‖w_leaf‖: σ = 0.1 is "10% noise" in every layer whatever
 * its scale (an all-zero leaf, such as a fresh bias, is left alone). The same ε is reused
 * across σ values (common random numbers), so the curve is smooth in σ. Borrows its arguments.
 */
export function weightNoiseCurve<P extends Params, B extends Params>(
  evaluate: Evaluate<P, B>,
  params: P,
  batch: B,
  { sigmas = [0, 0.01, 0.03, 0.1, 0.3], draws = 8, seed = 0 }: NoiseOptions = {},
): NoiseCurve {
  expect(sigmas.length > 0 && sigmas.every((s) => s >= 0), "sigmas: non-negative numbers", sigmas);
  expect(Number.isInteger(draws) && draws >= 1, "draws: an integer ≥ 1", draws);
  const spec = flatSpec(params);
  const w = toFlat(tree.ref(params));
  const rms = spec.shapes.map((_, i) => {
    const leaf = w.subarray(spec.offsets[i], spec.offsets[i + 1]);
    return Math.sqrt(leaf.reduce((s, x) => s + x * x, 0) / Math.max(1, leaf.length));
  });
  const noisy = jitted((p: P, noise: P, b: B) => {
    return asRecord(evaluate(tree.map((a: np.Array, n: np.Array) => a.add(n), p, noise) as P, b));
  });
  const samples: Record<string, Float64Array[]> = {}; // name -> [σ][draw]
  const eps = new Float32Array(spec.size);
  const delta = new Float32Array(spec.size);
  try {
    for (let k = 0; k < draws; k++) {
      new Rng(seed, STREAM.noise, k).fillNormal(eps); // draw k: the same ε at every σ
      sigmas.forEach((sigma, s) => {
        rms.forEach((r, leaf) => {
          for (let i = spec.offsets[leaf]!; i < spec.offsets[leaf + 1]!; i++) delta[i] = sigma * r * eps[i]!;
        });
        const out = noisy(tree.ref(params), fromFlat<P>(spec, delta), tree.ref(batch));
        for (const [name, value] of Object.entries(out)) {
          const rows = (samples[name] ??= sigmas.map(() => new Float64Array(draws)));
          rows[s]![k] = assertFinite(value.item(), `metric ${name} under weight noise σ=${sigma}, draw ${k}`);
        }
      });
    }
  } finally {
    noisy.dispose();
  }
  return { sigmas: [...sigmas], metrics: curveStats(samples) };
}

