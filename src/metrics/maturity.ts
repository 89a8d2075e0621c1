// Maturity and culling: does a strategy get to mature within its phase before the objective
// switches, and how long does the model take to get back to it when its environment returns?
// Measured at checkpoint resolution from one seed's accuracy timeline.
import type { Phase } from "../schedules/schedule.ts";
import { mean } from "../util/stats.ts";
import type { Timeline } from "./timeline.ts";

export const maturityDefaults = {
  tolerance: 0.02, // recovered = back within this much of the level reached at the end of the previous phase
};

/** Accuracy of env k at the last checkpoint at or before `step`, and that checkpoint's step. */
function at(t: Timeline, k: number, step: number): { acc: number; step: number } | undefined {
  let r = -1;
  for (let i = 0; i < t.steps.length && t.steps[i]! <= step; i++) r = i;
  return r < 0 ? undefined : { acc: t.acc[r]![k]!, step: t.steps[r]! };
}

/**
 * `mature/level:E`: mean over env E's completed phases of (acc at phase end − acc at init) /
 * (specialist's final − specialist's init): the fraction of the specialist's gain reached before
 * the switch (needs the specialist; NaN without). `mature/recover:E`: mean steps into each return
 * phase until accuracy is back within `tolerance` of the previous phase's end level (phases that
 * never recover are counted in `mature/unrecovered:E`).
 */
export function maturityNow(t: Timeline, phases: Phase[], envs: string[], specialist?: { init: number; final: number }[]): Record<string, number> {
  const now = t.steps[t.steps.length - 1]!;
  const out: Record<string, number> = {};
  envs.forEach((name, k) => {
    const mine = phases.filter((p) => p.env === name && p.end <= now);
    const levels: number[] = [], recover: number[] = [];
    let unrecovered = 0;
    mine.forEach((p, i) => {
      const end = at(t, k, p.end), init = t.acc[0]![k]!;
      const sp = specialist?.[k];
      if (end && sp && sp.final - sp.init > 1e-9) levels.push((end.acc - init) / (sp.final - sp.init));
      const prev = i > 0 ? at(t, k, mine[i - 1]!.end) : undefined;
      if (!prev) return;
      const back = t.steps.findIndex((s, r) => s > p.start && s <= p.end && t.acc[r]![k]! >= prev.acc - maturityDefaults.tolerance);
      if (back >= 0) recover.push(t.steps[back]! - p.start);
      else unrecovered++;
    });
    out[`mature/level:${name}`] = mean(levels);
    out[`mature/recover:${name}`] = mean(recover);
    out[`mature/unrecovered:${name}`] = mine.length > 1 ? unrecovered : NaN;
  });
  return out;
}
