// From SGLD records to an LLC estimate and its chain diagnostics: the spread over chains, split-R̂
// and effective sample size of the trace (Gelman et al., BDA3 §11.4–11.5), MALA acceptance of the
// Langevin steps, and the estimate's sensitivity to the localisation γ. Internal to the LLC.
import { meanStd } from "./_tree.ts";
import { type RawRun, acceptance } from "./_llc-sampler.ts";

export interface LlcStats {
  llc: number; // mean over chains of nβ (E[L(w)] − L(w*))
  llcStd: number; // standard deviation of the per-chain estimates
  llcSe: number; // llcStd / √chains: the standard error of llc
  perChain: number[];
  rhat: number; // split-R̂ of the nβ (L − L*) traces: near 1 when every chain is stationary and they agree
  ess: number; // effective number of independent draws, all chains together
  acceptance: number; // mean MALA acceptance min(1, α) of the recorded steps; NaN with minibatches
  // dλ̂/d log γ = −γ Cov(nβ (L − L*), ½‖w − w*‖²), the exact derivative of the localised posterior
  // mean: near 0 when the model, not the localisation, confines the chains
  gammaSensitivity: number;
  gammaSensitivitySe: number; // its standard error over chains (the flat directions make it noisy)
  fractionBelowInit: number; // fraction of draws with L(w) < L(w*) (minibatches: of block means)
}

// With minibatches each draw's L(w) − L(w*) carries the rows' noise (w* is no minimum of a batch's
// loss); its sign is read on means over blocks of this many draws, where that noise averages out.
const BLOCK = 10;

export function llcStats(raw: RawRun, nBeta: number, gamma: number, minibatch = false): LlcStats {
  const traces = raw.excess.map((e) => Float64Array.from(e, (x) => nBeta * x)); // [chain][draw]
  const perChain = traces.map((t) => meanStd(t).mean);
  const { mean, std } = meanStd(perChain);
  const all = traces.flatMap((t) => Array.from(t));
  // per chain: −γ Cov(nβ (L − L*), ½‖w − w*‖²); their spread is the derivative's error bar
  const slopes = traces.map((t, c) => {
    const d2 = raw.dist2[c]!, mt = meanStd(t).mean, md = meanStd(d2).mean;
    let cov = 0;
    for (let i = 0; i < t.length; i++) cov += (t[i]! - mt) * (d2[i]! - md);
    return (-gamma * 0.5 * cov) / Math.max(1, t.length - 1);
  });
  const slope = meanStd(slopes);
  let acc = 0;
  for (const c of raw.logAccept) for (const la of c) acc += acceptance(la);
  return {
    llc: mean,
    llcStd: std,
    llcSe: std / Math.sqrt(traces.length),
    perChain,
    rhat: splitRhat(traces),
    ess: ess(traces),
    acceptance: minibatch ? NaN : acc / all.length, // no accept step, no acceptance
    gammaSensitivity: slope.mean,
    gammaSensitivitySe: slope.std / Math.sqrt(slopes.length),
    fractionBelowInit: below(raw.excess, minibatch ? BLOCK : 1),
  };
}

/** Fraction of draws (of block means, for block > 1) below 0. */
function below(excess: Float64Array[], block: number): number {
  let under = 0, count = 0;
  for (const e of excess)
    for (let i = 0; i + block <= e.length; i += block, count++) under += meanStd(e.subarray(i, i + block)).mean < 0 ? 1 : 0;
  return count ? under / count : 0;
}

/** Split-R̂: each chain cut in two halves, so a drifting chain disagrees with itself. */
export function splitRhat(chains: Float64Array[]): number {
  const half = Math.floor((chains[0]?.length ?? 0) / 2);
  if (half < 2) return NaN;
  const parts = chains.flatMap((c) => [c.subarray(0, half), c.subarray(c.length - half)]);
  const stats = parts.map((p) => meanStd(p));
  const W = meanStd(stats.map((s) => s.std ** 2)).mean;
  const B = half * meanStd(stats.map((s) => s.mean)).std ** 2;
  if (W === 0) return B === 0 ? 1 : Infinity;
  return Math.sqrt(((half - 1) / half) * W + B / half) / Math.sqrt(W);
}

/** Effective sample size over all chains, with Geyer's initial positive sequence on the mean autocorrelation. */
export function ess(chains: Float64Array[]): number {
  const m = chains.length, n = chains[0]?.length ?? 0;
  if (n < 4) return m * n;
  const acov = (c: Float64Array, lag: number, mu: number) => {
    let s = 0;
    for (let i = 0; i + lag < n; i++) s += (c[i]! - mu) * (c[i + lag]! - mu);
    return s / n;
  };
  const mus = chains.map((c) => meanStd(c).mean);
  const v0 = chains.reduce((s, c, j) => s + acov(c, 0, mus[j]!), 0) / m;
  if (v0 === 0) return m * n;
  const rho = (lag: number) => chains.reduce((s, c, j) => s + acov(c, lag, mus[j]!), 0) / m / v0;
  let tau = -1; // τ = −1 + 2 Σ_k (ρ_2k + ρ_2k+1), summed while the pairs stay positive
  for (let k = 0; 2 * k + 1 < n; k++) {
    const pair = (k === 0 ? 1 : rho(2 * k)) + rho(2 * k + 1);
    if (pair <= 0) break;
    tau += 2 * pair;
  }
  return (m * n) / Math.max(tau, 1 / Math.log10(Math.max(10, m * n)));
}
