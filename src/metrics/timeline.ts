// Continual-learning metrics along a run's timeline, live at every checkpoint: the matrix
// functions of continual.ts on the checkpoint matrix so far (rows = checkpoints, columns = trained
// environments), with each environment's rows read off the schedule, so that live and offline
// values are one definition. "Trained" means the schedule has put the environment in a batch; a
// checkpoint at step s measures the model after steps [0, s), so the env "in training now" is the
// one of step s − 1 (under a mixture, every env). Sources: forgetting, Chaudhry et al. 2018;
// backward and forward transfer, Lopez-Paz & Ranzato 2017 (GEM); retention is ecotone's own.
import type { Phase } from "../schedules/schedule.ts";
import { averageAccuracy, backwardTransfer, forgetting, forwardTransfer, retention, type EnvRows } from "./continual.ts";

export interface Timeline {
  steps: number[]; // checkpoint steps so far, ascending
  acc: number[][]; // [checkpoint][env] accuracy of one seed
}

/** Index of the last checkpoint at or before `step`. */
const rowAt = (steps: readonly number[], step: number) => {
  let r = -1;
  for (let i = 0; i < steps.length && steps[i]! <= step; i++) r = i;
  return r;
};

/**
 * Where each env's training lies among the checkpoints `steps` (the last one is "now"):
 * `learnedAt`, the first checkpoint after its first trained step (Infinity if not trained yet);
 * `endedAt`, the last checkpoint at or before the end of its latest phase; `current`, the envs
 * trained at the step just before now (every env under a mixture).
 */
export function envRows(steps: readonly number[], phases: readonly Phase[], envs: readonly string[]): Required<EnvRows> {
  const step = steps[steps.length - 1]!;
  const learnedAt: number[] = [], endedAt: number[] = [], current: number[] = [];
  envs.forEach((name, k) => {
    const mine = phases.filter((p) => (p.env === name || p.env === "mixture") && p.start < step);
    const first = mine[0], last = mine[mine.length - 1];
    learnedAt.push(first ? steps.findIndex((s) => s > first.start) : Infinity);
    endedAt.push(last && last.end < step ? rowAt(steps, last.end) : NaN);
    if (last && last.end >= step) current.push(k);
  });
  return { learnedAt, endedAt, current };
}

/** The continual-learning metrics of one seed at its latest checkpoint (baseline for FWT: accuracy at step 0). */
export function continualNow(t: Timeline, phases: Phase[], envs: string[]): Record<string, number> {
  const rows = envRows(t.steps, phases, envs);
  return {
    "cl/avg": averageAccuracy(t.acc, rows),
    "cl/forgetting": forgetting(t.acc, rows),
    "cl/retention": retention(t.acc, rows),
    "cl/bwt": backwardTransfer(t.acc, rows),
    "cl/fwt": forwardTransfer(t.acc, t.acc[0]!, rows),
  };
}
