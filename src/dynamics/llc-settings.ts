// Sampler settings for the LLC chosen from the data size and the model rather than fixed: the
// temperature from n, a localisation γ weak beside the likelihood, the step ε from the largest
// curvature at and around w*, the burn-in from how slowly the chains can relax. A run then adapts
// ε and the burn-in (llc.ts). The fixed γ = 100, ε = 1e-3 this replaces let the localisation
// prior, not the model, set the answer at n ≈ 1000: a regular d-parameter model came out 37%
// below d/2, the normal-crossing toys near 0 instead of 1/2, 1/4, 1/6.
import { numpy as np, tree } from "@jax-js/jax";
import { Rng } from "../util/rng.ts";
import { hutchinsonTrace, hvp, topEigenvalue } from "./hessian.ts";
import { type Loss, type Params, STREAM, expect, flatSpec, fromFlat, jitted, toFlat } from "./_tree.ts";
import { SUB, type SamplerSettings, leadingRows } from "./_llc-sampler.ts";

export const llcSettingDefaults = {
  chains: 4, // independent chains (vmapped, nearly free for small models); their spread is the error bar
  draws: 200, // recorded steps per chain
  // Localisation γ: a unit Gaussian around w*, for parameters of order one. Weak beside a regular
  // direction's nβ h once nβ h ≫ 1, and beside a singular direction's hold at its scale nβ^(−1/2k)
  // (k = 2: γ ≪ √nβ): at n = 1000 a regular model lands within 1% of d/2. Raised only where
  // near-flat directions could not equilibrate within the burn-in budget (see `relax`).
  gamma: 1,
  stepBias: 0.1, // ε = stepBias / (nβ ĥ + γ): the stiffest direction's discretisation bias is ≈ stepBias/4
  relax: 3, // burn-in ≥ relax / (ε γ) where some direction is held by γ alone: its variance settles to e^−relax
  minBurnIn: 100, // the automatic burn-in's least
  maxBurnIn: 2000, // and its budget (unadjusted chains that could not relax within it get a larger γ)
  exactLimit: 256, // up to this many parameters the whole Hessian spectrum is computed (d HVPs)
  probeIters: 20, // power iterations for the top Hessian eigenvalue
  probeSamples: 8, // Hutchinson probes for the trace
  probePoints: 2, // draws from the localised posterior's stiffest spread whose curvature is probed
  conditioned: 0.1, // tr(H)/d below this × λ_max: near-flat directions exist, held by γ alone
  metropolis: true, // full batch: accept each move with the MALA probability, so ε sets mixing, not bias
  accept: [0.6, 0.9] as [number, number], // adaptive ε keeps the MALA acceptance in this band (efficient mixing)
  acceptUnadjusted: [0.99, 0.999] as [number, number], // without the accept step (minibatches: not measured): ≈ 2–6% bias
  window: 50, // steps per adaptation window
};

export interface LlcSettingOptions {
  n: number; // rows behind L_n (the dataset size)
  nBeta?: number; // n β; default n / log n, the WBIC temperature (Watanabe 2013)
  beta?: number; // β instead of nβ
  gamma?: number; // localisation γ; default 1, raised only to fit the burn-in budget (above)
  stepSize?: number; // SGLD step ε; default from the curvature
  burnIn?: number; // default: long enough for the slowest direction to relax, see `relax`
  chains?: number;
  draws?: number;
  batchSize?: number; // rows per SGLD gradient; default all n (full batch)
  strata?: number; // equal contiguous row blocks sampled equally (rows that share per-block model state); default 1
  metropolis?: boolean; // MALA accept step on the full batch; default true
  maxBurnIn?: number; // the budget of the automatic burn-in
  seed?: number;
}

/** Curvature of L_n at w*: what the defaults are read from, and what the diagnostics compare against. */
export interface LlcCurvature {
  params: number; // d
  sharpness: number; // top Hessian eigenvalue at w* (power iteration)
  trace: number; // tr H at w* (Hutchinson; exact with the spectrum)
  traceSe: number;
  stiffest: number; // ĥ: the largest curvature found, at w* or at the probe points
  spectrum?: Float64Array; // all Hessian eigenvalues at w*, ascending, where d ≤ exactLimit
}

export interface LlcSettings extends SamplerSettings {
  beta: number; // β = nβ / n
  stepSize: number; // ε (where auto, the start: a run adapts it to the MALA acceptance)
  burnIn: number; // discarded steps (where auto, the least: a run extends it until the chains settle)
  maxBurnIn: number; // the budget of that extension
  flatDirections: boolean; // some directions are held by γ alone: the burn-in waits relax / (ε γ) for them
  auto: ("gamma" | "stepSize" | "burnIn")[]; // which were chosen here rather than given
  curvature: LlcCurvature;
}

/** The curvature of `loss` at w* (on the rows the sampler's minibatches look like). Borrows its arguments. */
export function llcCurvature<P extends Params, B extends Params>(
  loss: Loss<P, B>, params: P, batch: B, rows: Pick<SamplerSettings, "n" | "batchSize" | "strata">, seed = 0,
): LlcCurvature {
  const d = flatSpec(params).size;
  const sub = leadingRows(batch, rows);
  try {
    if (d <= llcSettingDefaults.exactLimit) {
      const h = hessianSpectrum(loss, params, sub);
      const trace = h.reduce((a, x) => a + x, 0), top = h[d - 1] ?? 0;
      return { params: d, sharpness: top, trace, traceSe: 0, stiffest: Math.max(0, top), spectrum: h };
    }
    const top = topEigenvalue(loss, params, sub, { iters: llcSettingDefaults.probeIters, tol: 1e-3, seed });
    const tr = hutchinsonTrace(loss, params, sub, { samples: llcSettingDefaults.probeSamples, seed });
    return { params: d, sharpness: top.eigenvalue, trace: tr.mean, traceSe: tr.stderr, stiffest: Math.max(0, top.eigenvalue) };
  } finally {
    tree.dispose(sub);
  }
}

/** Every eigenvalue of the Hessian at `params`, ascending: d Hessian-vector products, then eigvalsh. Borrows. */
function hessianSpectrum<P extends Params, B extends Params>(loss: Loss<P, B>, params: P, batch: B): Float64Array {
  const spec = flatSpec(params), d = spec.size;
  const f = jitted((p: P, b: B, v: P) => hvp(loss, p, b, v));
  const H = new Float32Array(d * d); // [d, d], row i = H e_i
  try {
    for (let i = 0; i < d; i++) {
      const e = new Float32Array(d);
      e[i] = 1;
      H.set(toFlat(f(tree.ref(params), tree.ref(batch), fromFlat<P>(spec, e))), i * d);
    }
  } finally {
    f.dispose();
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) H[i * d + j] = H[j * d + i] = (H[i * d + j]! + H[j * d + i]!) / 2;
  return Float64Array.from(np.linalg.eigvalsh(np.array(H, { shape: [d, d] })).dataSync() as Float32Array).sort();
}

/**
 * The LLC a *regular* model with this Hessian at w* would have under the same localisation and
 * temperature: Σ ½ nβh/(nβh + γ) over the positive eigenvalues h (exact where the spectrum is
 * known), else its upper bound (d/2) x/(x + γ), x = nβ tr(H)/d, by Jensen (the summand is concave).
 */
export function regularReference(c: LlcCurvature, nBeta: number, gamma: number): { value: number; exact: boolean } {
  if (c.spectrum) return { value: c.spectrum.reduce((s, h) => s + (h > 0 ? (0.5 * nBeta * h) / (nBeta * h + gamma) : 0), 0), exact: true };
  const x = (nBeta * Math.max(0, c.trace)) / c.params;
  return { value: gamma > 0 ? (c.params / 2) * (x / (x + gamma)) : c.params / 2, exact: false };
}

/**
 * The largest curvature where the chains will go: the top Hessian eigenvalue at draws from
 * N(w*, σ²I), σ² = 1/(γ + nβ λ_max(w*)), the spread of the localised posterior's stiffest
 * direction. At a singular w* the curvature is 0 there and grows away from it. Borrows its arguments.
 */
function probeSharpness<P extends Params, B extends Params>(loss: Loss<P, B>, params: P, sub: B, sigma: number, seed: number): number {
  const spec = flatSpec(params);
  const centre = toFlat(tree.ref(params));
  let most = 0;
  for (let j = 0; j < llcSettingDefaults.probePoints; j++) {
    const rng = new Rng(seed, STREAM.sgld, j, SUB.probe);
    const p = fromFlat<P>(spec, Float32Array.from(centre, (c) => c + sigma * rng.normal()));
    try {
      most = Math.max(most, topEigenvalue(loss, p, sub, { iters: llcSettingDefaults.probeIters, tol: 1e-3, seed }).eigenvalue);
    } finally {
      tree.dispose(p);
    }
  }
  return most;
}

/**
 * Resolve every SGLD setting of an LLC estimate at w* = params (borrowed). Given values are kept;
 * the rest follow the rules of `llcSettingDefaults`. `curvature` skips the probes when known.
 */
export function llcSettings<P extends Params, B extends Params>(
  loss: Loss<P, B>, params: P, batch: B, o: LlcSettingOptions, curvature?: LlcCurvature,
): LlcSettings {
  const D = llcSettingDefaults;
  const n = o.n;
  expect(Number.isFinite(n) && n > 1, "n: the dataset size, > 1", n);
  const beta = o.nBeta !== undefined ? o.nBeta / n : (o.beta ?? 1 / Math.log(n));
  const nBeta = o.nBeta ?? n * beta;
  const batchSize = Math.min(o.batchSize ?? n, n), strata = o.strata ?? 1, seed = o.seed ?? 0;
  const rows = { n, batchSize, strata };
  const curv = curvature ?? llcCurvature(loss, params, batch, rows, seed);
  const auto: LlcSettings["auto"] = [];
  let gamma = o.gamma ?? D.gamma;
  if (o.gamma === undefined) auto.push("gamma");
  let stiffest = curv.stiffest;
  if (o.stepSize === undefined) {
    const sub = leadingRows(batch, rows);
    try {
      stiffest = Math.max(stiffest, probeSharpness(loss, params, sub, 1 / Math.sqrt(gamma + nBeta * stiffest || 1), seed));
    } finally {
      tree.dispose(sub);
    }
  }
  const maxBurnIn = Math.max(o.maxBurnIn ?? D.maxBurnIn, o.burnIn ?? 0);
  const stepFor = (g: number) => o.stepSize ?? D.stepBias / (nBeta * stiffest + g);
  // Directions held by γ alone relax in relax / (ε γ) steps. Some exist where nβ times the least
  // Hessian eigenvalue is below γ (known exactly for small d), or, from the trace, where the mean
  // eigenvalue is far below the top (an ill-conditioned minimum) or the top itself is below γ / nβ.
  const metropolis = (o.metropolis ?? D.metropolis) && batchSize >= n;
  const illConditioned = curv.sharpness > 0 && curv.trace / curv.params < D.conditioned * curv.sharpness;
  const flatDirections = curv.spectrum
    ? nBeta * Math.max(0, curv.spectrum[0] ?? 0) < gamma
    : illConditioned || nBeta * curv.sharpness < gamma;
  const relaxSteps = (g: number) => (flatDirections ? D.relax / (stepFor(g) * g) : D.minBurnIn);
  // Unadjusted chains (minibatches) keep their ε: at an ill-conditioned minimum whose near-flat
  // directions could not relax within the budget, γ rises to meet it. Metropolis chains grow ε
  // and burn in until they settle instead.
  const spare = D.stepBias * maxBurnIn - D.relax; // ≤ 0: no γ equilibrates within the budget; R̂ will say so
  if (o.gamma === undefined && o.burnIn === undefined && !metropolis && illConditioned && relaxSteps(gamma) > maxBurnIn && spare > 0)
    gamma = o.stepSize === undefined
      ? (D.relax * nBeta * stiffest) / spare // solves relaxSteps(γ) = maxBurnIn
      : D.relax / (o.stepSize * maxBurnIn);
  const stepSize = stepFor(gamma);
  if (o.stepSize === undefined) auto.push("stepSize");
  const burnIn = o.burnIn ?? Math.round(Math.min(maxBurnIn, Math.max(D.minBurnIn, relaxSteps(gamma))));
  if (o.burnIn === undefined) auto.push("burnIn");
  return {
    n, beta, nBeta, gamma, stepSize, burnIn, maxBurnIn, flatDirections, batchSize, strata, seed,
    metropolis,
    chains: o.chains ?? D.chains,
    draws: o.draws ?? D.draws,
    auto,
    curvature: { ...curv, stiffest },
  };
}
