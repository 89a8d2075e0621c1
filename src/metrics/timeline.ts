// Continual-learning metrics along a run's timeline, live at every checkpoint. Rows are the
// checkpoints so far, columns the trained environments; "trained" means the schedule has put
// the environment in a batch. Definitions follow Chaudhry et al. 2018 (forgetting) and
// Lopez-Paz & Ranzato 2017 (GEM: backward and forward transfer), generalised to cyclic schedules
// by measuring backward transfer from the end of each environment's latest phase.
import type { Phase } from "../schedules/schedule.ts";

export interface Timeline {
  steps: number[]; // checkpoint steps so far, ascending
  acc: number[][]; // [checkpoint][env] accuracy of one seed
}

/** First and last step each environment was trained by `step` (mixture: every env from 0). */
function trainedSpans(phases: Phase[], envs: string[], step: number): { first: number; lastEnd: number; current: boolean }[] {
  return envs.map((name) => {
    const mine = phases.filter((p) => (p.env === name || p.env === "mixture") && p.start < step);
    const last = mine[mine.length - 1];
    return {
      first: mine[0]?.start ?? Infinity,
      lastEnd: last ? Math.min(last.end, step) : -1,
      current: !!last && last.end >= step,
    };
  });
}

/** Index of the last checkpoint at or before `step`. */
const rowAt = (steps: number[], step: number) => {
  let r = -1;
  for (let i = 0; i < steps.length && steps[i]! <= step; i++) r = i;
  return r;
};

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** The continual-learning metrics of one seed at its latest checkpoint. */
export function continualNow(t: Timeline, phases: Phase[], envs: string[]): Record<string, number> {
  const now = t.steps.length - 1, step = t.steps[now]!;
  const spans = trainedSpans(phases, envs, step);
  const trained = envs.map((_, k) => k).filter((k) => spans[k]!.first < step);
  const col = (k: number, upto: number) => t.acc.slice(0, upto + 1).map((r) => r[k]!);
  const forgetting = trained.map((k) => Math.max(...col(k, now)) - t.acc[now]![k]!);
  const retention = trained.map((k) => { const best = Math.max(...col(k, now)); return best > 0 ? t.acc[now]![k]! / best : NaN; });
  // Backward transfer: change since the end of the env's latest phase, for envs not training now.
  const bwt = trained.filter((k) => !spans[k]!.current).map((k) => t.acc[now]![k]! - t.acc[rowAt(t.steps, spans[k]!.lastEnd)]![k]!);
  // Forward transfer: accuracy just before an env was first trained, against its accuracy at init.
  const fwt = trained.filter((k) => spans[k]!.first > 0).map((k) => t.acc[rowAt(t.steps, spans[k]!.first)]![k]! - t.acc[0]![k]!);
  return {
    "cl/avg": mean(trained.map((k) => t.acc[now]![k]!)),
    "cl/forgetting": mean(forgetting),
    "cl/retention": mean(retention),
    "cl/bwt": mean(bwt),
    "cl/fwt": mean(fwt),
  };
}
