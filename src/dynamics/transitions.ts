// Candidate phase transitions along training (claim 4, "goal crystallisation"): the LLC at each
// checkpoint, estimated with common random numbers, then segmented by change-point detection.
// One call, because the two halves are only meaningful together: change points on an LLC series
// whose chains failed (draws below the initial loss) flag sampler trouble, not transitions.
import { type ChangePointOptions, changePoints } from "./changepoints.ts";
import { type LlcOptions, type LlcResult, llcTrajectory } from "./llc.ts";
import type { Loss, Params } from "./_tree.ts";

export interface LlcTransitions {
  llc: number[]; // estimate at each checkpoint
  llcStd: number[]; // spread over chains at each checkpoint
  changePoints: number[]; // checkpoint indices where a new LLC level starts
  segments: { start: number; end: number; mean: number }[]; // [start, end) in checkpoint indices
  sigma: number; // noise scale the segmentation used
  // Per-checkpoint chain health: fraction of draws below L(w*); above ~0.1 the estimate there is
  // unreliable (w* is not a local minimum yet, early in training, or the step size is too large).
  fractionBelowInit: number[];
  initLoss: number[]; // L_n at each checkpoint
  results: LlcResult[];
}

/**
 * LLC at every checkpoint (borrowed) and the change points of that series. By default the noise
 * scale of the segmentation is the mean standard error over chains (σ/√chains), which is what the
 * LLC estimates actually scatter by (with one chain, the MAD of first differences); pass
 * `cp.sigma` to override.
 */
export function llcTransitions<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  checkpoints: P[],
  batch: B,
  opts: LlcOptions,
  cp: ChangePointOptions = {},
): LlcTransitions {
  const r = llcTrajectory(loss, checkpoints, batch, opts);
  const chains = opts.chains ?? 4;
  const se = r.llcStd.reduce((s, x) => s + x, 0) / Math.max(1, r.llcStd.length) / Math.sqrt(chains);
  // one chain has no spread to learn the noise from: fall back to changePoints' own MAD estimate
  const seg = changePoints(r.llc, { ...(se > 0 && { sigma: se }), ...cp });
  return {
    llc: r.llc,
    llcStd: r.llcStd,
    changePoints: seg.changePoints,
    segments: seg.segments,
    sigma: seg.sigma,
    fractionBelowInit: r.results.map((x) => x.fractionBelowInit),
    initLoss: r.results.map((x) => x.initLoss),
    results: r.results,
  };
}
