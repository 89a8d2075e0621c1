import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  averageAccuracy, backwardTransfer, forgetting, forgettingPerEnv, forwardTransfer,
  normaliseMatrix, normalisedPerformance, retention, retentionPerEnv,
} from "../../src/metrics/continual.ts";
import { close } from "./_fixtures.ts";

// Textbook task-sequence matrix: row i = after training on task i, column j = accuracy on task j.
const R = [
  [0.9, 0.2, 0.1],
  [0.6, 0.8, 0.3],
  [0.5, 0.7, 0.95],
];
const b = [0.1, 0.1, 0.1]; // accuracy at init
// By hand:
//   ACC = (0.5 + 0.7 + 0.95) / 3                        = 0.7166667
//   BWT = ½[(R20 - R00) + (R21 - R11)] = ½[-0.4 - 0.1]  = -0.25
//   FWT = ½[(R01 - b1) + (R12 - b2)]   = ½[0.1 + 0.2]   = 0.15
//   forgetting: f0 = max(0.9, 0.6) - 0.5 = 0.4, f1 = max(0.2, 0.8) - 0.7 = 0.1 → mean 0.25
//   (env 2 is excluded: learned in the last row; per env it is max(0.1, 0.3) - 0.95 = -0.65)
//   retention: 0.5/0.9, 0.7/0.8, 0.95/0.95 → mean (0.5556 + 0.875 + 1) / 3 = 0.8101852
describe("continual metrics on a hand-computed 3×3 matrix", () => {
  const cases: [string, number, number][] = [
    ["average accuracy", averageAccuracy(R), 2.15 / 3],
    ["backward transfer", backwardTransfer(R), -0.25],
    ["forward transfer", forwardTransfer(R, b), 0.15],
    ["forgetting", forgetting(R), 0.25],
    ["retention", retention(R), (0.5 / 0.9 + 0.7 / 0.8 + 1) / 3],
  ];
  for (const [name, got, want] of cases) it(`${name} = ${want.toFixed(4)}`, () => close(got, want, 1e-12));

  it("per-env forgetting and retention", () => {
    forgettingPerEnv(R).forEach((f, k) => close(f, [0.4, 0.1, -0.65][k]!, 1e-12));
    retentionPerEnv(R).forEach((r, k) => close(r, [0.5 / 0.9, 0.875, 1][k]!, 1e-12));
  });
});

describe("continual metrics on checkpoint matrices", () => {
  // cyclic schedule A, B, A, B; rows at phase ends. A plain learnedAt = [0, 1] is GEM's reading
  // (each env learned once, at its first phase; no env "in training now"), kept for the square case:
  //   BWT = ½[(0.6 - 0.9) + (0.9 - 0.85)] = -0.125; FWT (b = 0.1) = P[0][1] - 0.1 = 0.1;
  //   forgetting = ½[(0.92 - 0.6) + (0.85 - 0.9)] = 0.135
  const P = [
    [0.9, 0.2],
    [0.5, 0.85],
    [0.92, 0.4],
    [0.6, 0.9],
  ];
  it("GEM's reading of the matrix, by hand", () => {
    close(backwardTransfer(P, [0, 1]), -0.125, 1e-12);
    close(forwardTransfer(P, [0.1, 0.1], [0, 1]), 0.1, 1e-12);
    close(forgetting(P, [0, 1]), 0.135, 1e-12);
  });

  // The cyclic reading (what the live metrics use): B is in training at the last row, so it is not
  // among the envs learned before the current one (Chaudhry; GEM's sums stop at task T−1), and A's
  // backward transfer runs from the end of its latest phase (row 2), not from its first.
  //   forgetting = max(0.9, 0.5, 0.92) - 0.6 = 0.32; BWT = 0.6 - 0.92 = -0.32; FWT unchanged 0.1
  it("the cyclic reading: the env in training excluded, BWT from the latest phase", () => {
    const rows = { learnedAt: [0, 1], endedAt: [2, 3], current: [1] };
    close(forgetting(P, rows), 0.32, 1e-12);
    close(backwardTransfer(P, rows), 0.6 - 0.92, 1e-12);
    close(forwardTransfer(P, [0.1, 0.1], rows), 0.1, 1e-12);
    close(averageAccuracy(P, rows), 0.75, 1e-12);
  });

  it("envs not trained by the last row (learnedAt Infinity) count nowhere", () => {
    const Q = [[0.1, 0.2], [0.8, 0.2], [0.6, 0.3]], rows = { learnedAt: [1, Infinity], current: [] };
    close(averageAccuracy(Q, rows), 0.6, 1e-12);
    close(forgetting(Q, rows), 0.2, 1e-12);
    close(retention(Q, rows), 0.75, 1e-12);
    assert.ok(Number.isNaN(forwardTransfer(Q, Q[0]!, rows)));
  });

  it("learnedAt excludes envs first trained in the last phase", () => {
    close(backwardTransfer(P, [0, 3]), 0.6 - 0.9, 1e-12);
    close(forgetting(P, [0, 3]), 0.32, 1e-12);
    close(forwardTransfer(P, [0.1, 0.1], [0, 3]), 0.4 - 0.1, 1e-12);
  });

  it("a model that never forgets has forgetting 0 and retention 1", () => {
    const Q = [[0.2, 0.1], [0.8, 0.1], [0.8, 0.9]];
    close(forgetting(Q, [1, 2]), 0);
    close(retention(Q), 1);
  });

  it("is NaN where undefined: one row, or a best accuracy of 0", () => {
    assert.ok(forgettingPerEnv([[0.5, 0.5]]).every(Number.isNaN));
    assert.ok(Number.isNaN(retentionPerEnv([[0], [0]])[0]!));
  });

  it("throws on ragged rows and bad learnedAt", () => {
    assert.throws(() => averageAccuracy([[1, 2], [3]]), /P\[1\]: expected 2 columns, got 1/);
    assert.throws(() => backwardTransfer(P, [0, 4]), /learnedAt\[1\]: expected a row in \[0, 4\) or Infinity, got 4/);
    assert.throws(() => forgetting(P, { learnedAt: [0, 1], current: [2] }), /current: expected env indices in \[0, 2\), got 2/);
    assert.throws(() => forwardTransfer(P, [0]), /baseline: expected 2 entries, got 1/);
  });
});

describe("normalised performance", () => {
  const cases: [number, number, number, number][] = [
    // [p, chance, specialist, want]
    [0.25, 0.25, 0.95, 0],
    [0.95, 0.25, 0.95, 1],
    [0.6, 0.25, 0.95, 0.5],
    [0.1, 0.25, 0.95, -0.15 / 0.7],
    [-2, -1, 3, -0.25],
  ];
  for (const [p, c, s, want] of cases) it(`(${p} - ${c}) / (${s} - ${c}) = ${want.toFixed(4)}`, () => close(normalisedPerformance(p, c, s), want, 1e-12));

  it("normalises a matrix with per-env specialist levels", () => {
    assert.deepEqual(normaliseMatrix([[0.5, 0.5], [1, 0.75]], 0.5, [1, 0.75]), [[0, 0], [1, 1]]);
  });

  it("throws when the specialist is at chance", () => {
    assert.throws(() => normalisedPerformance(0.5, 0.5, 0.5), /expected specialist != chance, got both 0.5/);
  });
});
