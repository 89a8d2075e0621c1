// Local learning coefficient (Lau et al. 2023, "Quantifying degeneracy in singular models via the
// learning coefficient"), with devinterp's Langevin estimator (Metropolis-adjusted on the full
// batch, plain SGLD on minibatches: _llc-sampler.ts). The LLC λ̂(w*) counts the effective
// number of parameters at a minimum: d/2 for a regular model, less where the loss is degenerate.
// Tracked over checkpoints, its jumps mark phase transitions ("goal crystallisation", claim 4).
// The settings come from the data size and the curvature (llc-settings.ts), or from a sweep
// (llc-calibrate.ts); every estimate carries the diagnostics that say whether to believe it.
import { type Loss, type Params, expect } from "./_tree.ts";
import { sgldSampler } from "./_llc-sampler.ts";
import { type LlcResult, llcResult, runOptions } from "./_llc-result.ts";
import { type LlcSettingOptions, type LlcSettings, llcSettings } from "./llc-settings.ts";

export interface LlcOptions extends LlcSettingOptions {
  onProgress?: (done: number, total: number) => void; // SGLD steps done of all chains' steps (vmapped: one count)
}

/** The LLC of `loss` at `params` (= w*, ideally a local minimum). Borrows params and batch. */
export function llc<P extends Params, B extends Params>(loss: Loss<P, B>, params: P, batch: B, opts: LlcOptions): LlcResult {
  const s = llcSettings(loss, params, batch, opts);
  const sampler = sgldSampler(loss, s);
  try {
    const raw = sampler.run(params, batch, runOptions(s, opts.onProgress));
    return llcResult(raw, { ...s, stepSize: raw.stepSize, burnIn: raw.burnIn });
  } finally {
    sampler.dispose();
  }
}

/**
 * The LLC at each of a list of checkpoints, with one compiled sampler and the same noise at every
 * checkpoint (common random numbers), so that differences between checkpoints are not sampling
 * noise. LLCs are comparable only under the same settings, so one setting serves every
 * checkpoint: γ as given (or the largest any checkpoint needs), the smallest step and the longest
 * burn-in that any checkpoint adapts to. Feed `llc` to `changePoints` to flag candidate phase
 * transitions. Borrows its arguments.
 */
export function llcTrajectory<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  checkpoints: P[],
  batch: B,
  opts: LlcOptions,
): { llc: number[]; llcStd: number[]; results: LlcResult[]; settings: LlcSettings } {
  expect(checkpoints.length >= 1, "at least one checkpoint", checkpoints.length);
  const each = checkpoints.map((p) => llcSettings(loss, p, batch, opts));
  const gamma = Math.max(...each.map((x) => x.gamma));
  const s0: LlcSettings = { ...each.at(-1)!, gamma, stepSize: Math.min(...each.map((x) => x.stepSize)), burnIn: Math.max(...each.map((x) => x.burnIn)) };
  const sampler = sgldSampler(loss, s0);
  try {
    let s = s0;
    // Metropolis chains adapt ε and the burn-in at every checkpoint (burn-in only): keep the most
    // cautious. Unadjusted ones keep the rule's ε, and the burn-in (the longest) already fits the budget.
    if (s0.metropolis && runOptions(s0).adapt) {
      const tuned = checkpoints.map((p, i) => sampler.run(p, batch, { ...runOptions({ ...each[i]!, gamma }), draws: 1 }));
      s = { ...s0, stepSize: Math.min(...tuned.map((x) => x.stepSize)), burnIn: Math.max(...tuned.map((x) => x.burnIn)) };
    }
    const per = s.burnIn + s.draws;
    const results = checkpoints.map((p, i) => {
      const onStep = opts.onProgress && ((done: number) => opts.onProgress!(i * per + done, checkpoints.length * per));
      return llcResult(sampler.run(p, batch, { stepSize: s.stepSize, burnIn: s.burnIn, onStep }), s, each[i]!.curvature);
    });
    return { llc: results.map((r) => r.llc), llcStd: results.map((r) => r.llcStd), results, settings: s };
  } finally {
    sampler.dispose();
  }
}

export type { LlcDiagnostics, LlcResult } from "./_llc-result.ts";
export { llcThresholds, llcWarnings } from "./_llc-result.ts";
export type { LlcCurvature, LlcSettingOptions, LlcSettings } from "./llc-settings.ts";
export { llcCurvature, llcSettingDefaults, llcSettings, regularReference } from "./llc-settings.ts";
