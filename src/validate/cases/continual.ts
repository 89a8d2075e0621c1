// The continual-learning metrics (src/metrics/continual.ts) on matrices worked by hand, one case
// per metric, as the papers define them (docs/metrics.md).
//
// The reviewer's matrix (docs/metrics.md): A trained, then B; A peaked at 0.8 and is now 0.5, B is
// training now. Forgetting (Chaudhry et al. 2018) = f_A = 0.8 − 0.5 = 0.3; B, in training, is not
// among the tasks learned before the current one (an average that let B in would give 0.15).
//
// A 4-task sequence, row i after training task i, column j = accuracy on task j, b = accuracy at
// initialisation; by hand (GEM, Lopez-Paz & Ranzato 2017):
//   ACC = (0.4 + 0.6 + 0.5 + 0.9) / 4                                  = 0.6
//   BWT = ⅓[(0.4 − 0.9) + (0.6 − 0.8) + (0.5 − 0.7)] = ⅓(−0.9)         = −0.3
//   FWT = ⅓[(R01 − b1) + (R12 − b2) + (R23 − b3)] = ⅓[0.1 + 0.2 + 0.3] = 0.2
//   forgetting: f0 = 0.9 − 0.4, f1 = 0.8 − 0.6, f2 = 0.7 − 0.5 → ⅓(0.5 + 0.2 + 0.2) = 0.3
import { averageAccuracy, backwardTransfer, forgetting, forwardTransfer } from "../../metrics/continual.ts";
import { defineCase, within } from "../case.ts";

const reviewer = [
  [0.8, 0.1], // after A
  [0.5, 0.7], // after B: B in training now
];
const R = [
  [0.9, 0.2, 0.1, 0.1],
  [0.7, 0.8, 0.4, 0.2],
  [0.6, 0.7, 0.7, 0.4],
  [0.4, 0.6, 0.5, 0.9],
];
const b = [0.1, 0.1, 0.2, 0.1];

const tolerance = { abs: 1e-12 };
const exact = (name: string, source: string, expected: number, compute: () => number, detail: string) =>
  defineCase({
    name, source, expected, tolerance,
    run: () => {
      const got = compute();
      return { measured: got, pass: within(got, expected, tolerance), detail };
    },
  });

export const continualCases = () => [
  exact("continual/forgetting-2x2", "Chaudhry et al. 2018; docs/metrics.md", 0.3,
    () => forgetting(reviewer, { learnedAt: [0, 1], current: [1] }), "A peaked at 0.8, now 0.5; B in training, left out"),
  exact("continual/acc-4x4", "Lopez-Paz & Ranzato 2017 (GEM)", 0.6, () => averageAccuracy(R), "4 tasks, last row (0.4, 0.6, 0.5, 0.9)"),
  exact("continual/bwt-4x4", "Lopez-Paz & Ranzato 2017 (GEM)", -0.3, () => backwardTransfer(R), "⅓[(0.4 − 0.9) + (0.6 − 0.8) + (0.5 − 0.7)]"),
  exact("continual/fwt-4x4", "Lopez-Paz & Ranzato 2017 (GEM)", 0.2, () => forwardTransfer(R, b), "⅓[(0.2 − 0.1) + (0.4 − 0.2) + (0.4 − 0.1)]"),
  exact("continual/forgetting-4x4", "Chaudhry et al. 2018 (RWalk)", 0.3, () => forgetting(R), "⅓[(0.9 − 0.4) + (0.8 − 0.6) + (0.7 − 0.5)]"),
];
