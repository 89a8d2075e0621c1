// Calibration of an LLC estimate, as devinterp's users do it by hand: sweep the localisation γ
// (with the step ε chosen for each, and checked), and take the setting where the estimate stops
// moving with γ while the chains stay healthy. Where no such setting exists, say so: then the
// localisation, not the model, sets the answer, and the estimate should not be read as degeneracy.
import type { Loss, Params } from "./_tree.ts";
import { sgldSampler } from "./_llc-sampler.ts";
import { type LlcResult, llcResult, runOptions } from "./_llc-result.ts";
import type { LlcOptions } from "./llc.ts";
import { type LlcSettings, llcCurvature, llcSettings } from "./llc-settings.ts";

export const calibrateDefaults = {
  gammas: [100, 30, 10, 3, 1, 0.3], // localisations swept, strongest first (devinterp's users try 1, 10, 100)
  plateau: 0.1, // neighbouring γ whose λ̂ agree within this fraction (or 2 standard errors) count as stable
  stepCheck: 3, // unadjusted (minibatch) chains: rerun the chosen γ at ε / stepCheck; a change is discretisation bias
};

export interface LlcSweepPoint {
  gamma: number;
  stepSize: number;
  burnIn: number;
  llc: number;
  llcSe: number;
  rhat: number;
  healthy: boolean; // the chains pass every health check (stationary, above L(w*), accepted)
  warnings: string[];
}

export interface LlcCalibration {
  result: LlcResult; // the estimate at the chosen setting
  sweep: LlcSweepPoint[]; // every setting tried, in order
  stable: boolean; // two neighbouring γ agreed, both healthy (and, unadjusted, ε / stepCheck agreed)
  note: string; // how the setting was chosen, in words
}

/** Chain health, as opposed to what the estimate means: these failures make a setting unusable. */
const healthy = (r: LlcResult) =>
  r.diagnostics.rhat <= 1.1 && r.diagnostics.fractionBelowInit <= 0.1 && r.llc > 0 &&
  !(r.diagnostics.acceptance < (r.settings.metropolis ? 0.2 : 0.9));

/**
 * Sweep γ (strongest first) at w* = params, and keep the first γ whose estimate agrees with the
 * previous one's, both healthy; stop early at the first unhealthy one (the chains no longer hold
 * at weaker localisation). Borrows its arguments. Settings in `opts` other than γ are kept.
 */
export function calibrateLlc<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  params: P,
  batch: B,
  opts: LlcOptions & { gammas?: number[] },
): LlcCalibration {
  const C = calibrateDefaults;
  const gammas = opts.gammas ?? C.gammas;
  const n = opts.n, batchSize = Math.min(opts.batchSize ?? n, n), strata = opts.strata ?? 1;
  const curvature = llcCurvature(loss, params, batch, { n, batchSize, strata }, opts.seed ?? 0);
  const sweep: LlcSweepPoint[] = [];
  const results: LlcResult[] = [];
  const run = (s: LlcSettings, fixed?: { stepSize: number; burnIn: number }): LlcResult => {
    const sampler = sgldSampler(loss, s);
    const k = sweep.length, onProgress = opts.onProgress;
    const onStep = onProgress && ((done: number, total: number) => onProgress(k * total + done, (gammas.length + 1) * total));
    try {
      const raw = sampler.run(params, batch, fixed ? { ...fixed, onStep } : runOptions(s, onStep));
      return llcResult(raw, { ...s, stepSize: raw.stepSize, burnIn: raw.burnIn }, curvature);
    } finally {
      sampler.dispose();
    }
  };
  const record = (r: LlcResult) => {
    results.push(r);
    sweep.push({
      gamma: r.settings.gamma, stepSize: r.settings.stepSize, burnIn: r.settings.burnIn, llc: r.llc, llcSe: r.llcSe,
      rhat: r.diagnostics.rhat, healthy: healthy(r), warnings: r.warnings,
    });
  };
  const agree = (a: LlcResult, b: LlcResult) =>
    Math.abs(a.llc - b.llc) <= Math.max(C.plateau * Math.abs(b.llc), 2 * Math.hypot(a.llcSe, b.llcSe));

  let chosen = -1, stable = false, note = "";
  for (const gamma of gammas) {
    record(run(llcSettings(loss, params, batch, { ...opts, gamma }, curvature)));
    const k = results.length - 1, r = results[k]!, prev = results[k - 1];
    if (!sweep[k]!.healthy) {
      chosen = k - 1;
      note = k === 0 ? `the chains fail at the strongest localisation, γ ${gamma}` : `the chains fail below γ ${sweep[k - 1]!.gamma}; the weakest healthy γ is kept`;
      break;
    }
    chosen = k;
    if (prev && agree(r, prev)) {
      [stable, note] = [true, `λ̂ agrees at γ ${prev.settings.gamma} and ${gamma}`];
      break;
    }
    note = `λ̂ still moves with γ down to ${gamma}, the end of the sweep: the localisation sets part of it`;
  }
  let result = results[Math.max(0, chosen)]!;
  if (chosen >= 0 && !result.settings.metropolis) {
    // unadjusted chains are biased by ~ε: the estimate must not move when ε shrinks
    const s = { ...result.settings, curvature } as LlcSettings;
    const finer = run(s, { stepSize: result.settings.stepSize / C.stepCheck, burnIn: Math.round(result.settings.burnIn * C.stepCheck) });
    record(finer);
    if (!agree(finer, result)) [stable, note] = [false, `${note}; but λ̂ moved from ${result.llc.toPrecision(3)} to ${finer.llc.toPrecision(3)} at ε / ${C.stepCheck}: discretisation bias, the smaller ε is kept`];
    result = finer;
  }
  if (!stable) result = { ...result, reliable: false, warnings: [...result.warnings, `calibration: ${note}`] };
  return { result, sweep, stable, note };
}
