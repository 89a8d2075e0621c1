// An LLC run's records turned into the result: the estimate, its diagnostics and the warnings
// that say when not to believe it; and how a run adapts the settings. Internal: llc.ts and
// llc-calibrate.ts share it, and llc.ts re-exports the public part (types, thresholds, warnings).
import type { RawRun, RunOptions } from "./_llc-sampler.ts";
import { llcStats } from "./_llc-stats.ts";
import { type LlcCurvature, type LlcSettings, llcSettingDefaults, regularReference } from "./llc-settings.ts";

/** Past any of these an estimate is flagged unreliable, with the reason in words. */
export const llcThresholds = {
  belowInit: 0.1, // fraction of draws below L(w*): w* is not a local minimum, or ε is too large
  rhat: 1.1, // split-R̂ (BDA3): chains not stationary, or not in agreement
  relSe: 0.2, // standard error over chains relative to |λ̂|
  sensitivity: 0.2, // |dλ̂/d log γ| / λ̂: on a regular model, the share of λ̂ the localisation takes away
  acceptance: 0.9, // MALA acceptance of unadjusted full-batch steps (devinterp's yellow flag: bias)
  acceptanceMala: 0.2, // with the accept step the chains stay exact, but below this they barely move
  dominance: 2, // λ̂ within this factor of the regular reference, with γ above nβ tr(H)/d: not readable as degeneracy
};

export interface LlcDiagnostics {
  fractionBelowInit: number; // fraction of draws with L(w) < L(w*)
  rhat: number; // split-R̂ of the nβ (L − L*) traces
  ess: number; // effective draws, all chains together
  acceptance: number; // MALA acceptance; NaN with minibatches
  gammaSensitivity: number; // dλ̂/d log γ, from the chains' own covariance
  gammaSensitivitySe: number; // its standard error over chains
  params: number; // d
  sharpness: number; // top Hessian eigenvalue at w*
  trace: number; // tr H at w*
  // What a *regular* model with this Hessian would give under the same γ and nβ: Σ ½ nβh/(nβh + γ),
  // exact from the spectrum for small d, else its upper bound (d/2) x/(x + γ), x = nβ tr(H)/d.
  // λ̂ well below d/2 is degeneracy only where this reference is not also well below d/2.
  regularReference: number;
  regularExact: boolean; // the reference is the exact sum, not the bound
  localisationDominates: boolean; // γ > nβ tr(H)/d: the prior out-pulls the likelihood's mean curvature
}

export interface LlcResult {
  llc: number; // mean over chains of nβ (E[L_n(w)] − L_n(w*))
  llcStd: number; // standard deviation of the per-chain estimates
  llcSe: number; // llcStd / √chains
  chains: { llc: number; lossTrace: number[] }[]; // L_n along each chain, recorded draws (minibatch: unbiased per-draw estimates)
  fractionBelowInit: number; // (= diagnostics.fractionBelowInit)
  initLoss: number; // L_n(w*)
  nBeta: number; // nβ, the estimator's scale
  settings: Omit<LlcSettings, "curvature">; // what ran
  diagnostics: LlcDiagnostics;
  reliable: boolean; // no warning below
  warnings: string[]; // why not to trust it, in words
}

/** Turn one run's records into the estimate, its diagnostics and warnings. */
export function llcResult(raw: RawRun, s: LlcSettings, curvature: LlcCurvature = s.curvature): LlcResult {
  const st = llcStats(raw, s.nBeta, s.gamma, s.batchSize < s.n);
  const d = curvature.params;
  const ref = regularReference(curvature, s.nBeta, s.gamma);
  const diagnostics: LlcDiagnostics = {
    fractionBelowInit: st.fractionBelowInit, rhat: st.rhat, ess: st.ess, acceptance: st.acceptance,
    gammaSensitivity: st.gammaSensitivity, gammaSensitivitySe: st.gammaSensitivitySe, params: d, sharpness: curvature.sharpness, trace: curvature.trace,
    regularReference: ref.value, regularExact: ref.exact,
    localisationDominates: s.gamma > (s.nBeta * Math.max(0, curvature.trace)) / d,
  };
  const { curvature: _, ...settings } = s;
  const warnings = llcWarnings({ llc: st.llc, llcSe: st.llcSe, gamma: s.gamma, nBeta: s.nBeta, metropolis: s.metropolis, diagnostics });
  return {
    llc: st.llc, llcStd: st.llcStd, llcSe: st.llcSe,
    chains: st.perChain.map((l, c) => ({ llc: l, lossTrace: Array.from(raw.excess[c]!, (e) => raw.initLoss + e) })),
    fractionBelowInit: st.fractionBelowInit, initLoss: raw.initLoss, nBeta: s.nBeta,
    settings, diagnostics, reliable: warnings.length === 0, warnings,
  };
}

/** Why an estimate should not be trusted, in words (empty when every diagnostic passes). */
export function llcWarnings(r: { llc: number; llcSe: number; gamma: number; nBeta: number; metropolis: boolean; diagnostics: LlcDiagnostics }): string[] {
  const T = llcThresholds, g = r.diagnostics, w: string[] = [];
  const f = (v: number, p = 2) => v.toPrecision(p);
  if (g.fractionBelowInit > T.belowInit)
    w.push(`${(100 * g.fractionBelowInit).toFixed(0)}% of draws fell below L(w*): w* is not a local minimum of L_n (or the step size is too large), so λ̂ is biased low`);
  if (r.llc < 0) w.push("negative estimate: the chains found lower loss than w*; not a valid LLC");
  if (!(g.rhat <= T.rhat)) w.push(`split-R̂ ${f(g.rhat, 3)} > ${T.rhat}: the chains are not stationary or disagree; raise burnIn or γ`);
  if (r.llcSe > T.relSe * Math.abs(r.llc)) w.push(`standard error ${f(r.llcSe)} is over ${100 * T.relSe}% of λ̂: raise draws or chains`);
  if (r.llc > 0 && Math.abs(g.gammaSensitivity) > Math.max(T.sensitivity * r.llc, 2 * g.gammaSensitivitySe))
    w.push(`λ̂ changes by ${(100 * Math.abs(g.gammaSensitivity) / r.llc).toFixed(0)}% per e-fold of γ: the localisation, not the model, sets much of it`);
  if (!r.metropolis && g.acceptance < T.acceptance) w.push(`MALA acceptance ${f(g.acceptance)} < ${T.acceptance}: the step is too large for the curvature the chains meet, so λ̂ is biased`);
  if (r.metropolis && g.acceptance < T.acceptanceMala) w.push(`the chains refused ${(100 * (1 - g.acceptance)).toFixed(0)}% of their moves: lower the step size`);
  if (g.localisationDominates && r.llc > 0 && r.llc < T.dominance * g.regularReference)
    w.push(`localisation dominates: γ ${f(r.gamma)} > nβ·tr(H)/d = ${f((r.nBeta * Math.max(0, g.trace)) / g.params)}; a regular model with this Hessian would give λ̂ ${g.regularExact ? "=" : "≤"} ${f(g.regularReference)} (d/2 = ${g.params / 2}), so λ̂ = ${f(r.llc)} says nothing about degeneracy`);
  return w;
}

/** How a run uses the settings: adapting ε and the burn-in where they were not given. */
export function runOptions(s: LlcSettings, onStep?: (done: number, total: number) => void): RunOptions {
  const D = llcSettingDefaults;
  const adapt = s.auto.includes("stepSize") || s.auto.includes("burnIn");
  return {
    stepSize: s.stepSize, burnIn: s.burnIn, onStep,
    ...(adapt && { adapt: {
      maxBurnIn: s.auto.includes("burnIn") ? s.maxBurnIn : s.burnIn,
      accept: !s.auto.includes("stepSize") ? [0, 1] : s.metropolis ? D.accept : D.acceptUnadjusted,
      window: D.window,
      ...(s.flatDirections && { settle: D.relax }),
    } }),
  };
}
