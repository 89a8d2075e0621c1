// Live continual-learning metrics on hand-built timelines, and their agreement with the offline
// matrix functions (continual.ts) on the same matrix: one definition, live and offline.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { averageAccuracy, backwardTransfer, forgetting, forwardTransfer, retention } from "../../src/metrics/continual.ts";
import { continualNow, envRows } from "../../src/metrics/timeline.ts";

const phases = [{ start: 0, end: 100, env: "A" }, { start: 100, end: 200, env: "B" }]; // A trained in [0, 100), B in [100, 200)
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

describe("continualNow", () => {
  // checkpoints 0, 100, 200; accuracies [A, B]
  const t = { steps: [0, 100, 200], acc: [[0.1, 0.2], [0.9, 0.3], [0.5, 0.8]] };
  it("gives the textbook values at the end (computed by hand)", () => {
    const m = continualNow(t, phases, ["A", "B"]);
    close(m["cl/avg"]!, (0.5 + 0.8) / 2);
    close(m["cl/forgetting"]!, 0.9 - 0.5); // A only: B is the task being trained now (Chaudhry et al. 2018)
    close(m["cl/retention"]!, (0.5 / 0.9 + 1) / 2);
    close(m["cl/bwt"]!, 0.5 - 0.9); // A since the end of its phase; B is training now
    close(m["cl/fwt"]!, 0.3 - 0.2); // B just before its first phase, against B at init
  });
  it("the reviewer's example: forgetting 0.3 by the definition, not 0.15 (the env in training does not dilute it)", () => {
    const m = continualNow({ steps: [0, 100, 200], acc: [[0.1, 0.1], [0.8, 0.1], [0.5, 0.9]] }, phases, ["A", "B"]);
    close(m["cl/forgetting"]!, 0.3);
  });
  it("only counts environments trained so far", () => {
    const m = continualNow({ steps: [0, 100], acc: [[0.1, 0.2], [0.9, 0.3]] }, phases, ["A", "B"]);
    close(m["cl/avg"]!, 0.9);
    assert.ok(Number.isNaN(m["cl/forgetting"]!)); // the only trained env is the one in training: nothing learned before it
    assert.ok(Number.isNaN(m["cl/fwt"]!)); // B not yet trained
  });
  it("a mixture trains every environment from the start, and all of them now: forgetting and transfer are undefined", () => {
    const m = continualNow(t, [{ start: 0, end: 200, env: "mixture" }], ["A", "B"]);
    close(m["cl/avg"]!, 0.65);
    close(m["cl/retention"]!, (0.5 / 0.9 + 1) / 2);
    for (const k of ["cl/forgetting", "cl/bwt", "cl/fwt"]) assert.ok(Number.isNaN(m[k]!), k);
  });
  it("is NaN everywhere at step 0, before any training", () => {
    const m = continualNow({ steps: [0], acc: [[0.1, 0.2]] }, phases, ["A", "B"]);
    for (const [k, v] of Object.entries(m)) assert.ok(Number.isNaN(v), k);
  });
});

describe("live and offline agree on the same matrix", () => {
  // A cyclic schedule A, B, A, C with checkpoints every 50 steps, inside phases too.
  const cyc = [{ start: 0, end: 100, env: "A" }, { start: 100, end: 200, env: "B" }, { start: 200, end: 300, env: "A" }, { start: 300, end: 350, env: "C" }];
  const steps = [0, 50, 100, 150, 200, 250, 300, 350];
  const P = [
    [0.1, 0.2, 0.15], [0.6, 0.2, 0.2], [0.8, 0.25, 0.2], [0.5, 0.7, 0.1],
    [0.4, 0.9, 0.3], [0.7, 0.6, 0.3], [0.85, 0.5, 0.35], [0.6, 0.45, 0.8],
  ];
  it("reads each env's rows off the schedule (by hand)", () => {
    // A first trained at step 0 → first checkpoint after it is row 1; latest phase ends at 300 → row 6.
    // B: from 100 → row 3; ends at 200 → row 4. C: from 300 → row 7 (now), in training now.
    assert.deepEqual(envRows(steps, cyc, ["A", "B", "C"]), { learnedAt: [1, 3, 7], endedAt: [6, 4, NaN], current: [2] });
  });
  it("gives the same five numbers, each equal to its hand computation", () => {
    const live = continualNow({ steps, acc: P }, cyc, ["A", "B", "C"]);
    const rows = { learnedAt: [1, 3, 7], endedAt: [6, 4, NaN], current: [2] };
    const offline = {
      "cl/avg": averageAccuracy(P, rows),
      "cl/forgetting": forgetting(P, rows),
      "cl/retention": retention(P, rows),
      "cl/bwt": backwardTransfer(P, rows),
      "cl/fwt": forwardTransfer(P, P[0]!, rows),
    };
    assert.deepEqual(live, offline);
    // By hand. Forgetting: A and B, learned before C (in training now): A max(0.1…0.85) − 0.6 = 0.25, B 0.9 − 0.45 = 0.45.
    close(live["cl/forgetting"]!, (0.25 + 0.45) / 2);
    // BWT: A since the end of its latest phase (row 6), B since the end of its phase (row 4).
    close(live["cl/bwt"]!, ((0.6 - 0.85) + (0.45 - 0.9)) / 2);
    // FWT: B just before its phase (row 2) and C (row 6), against row 0; A is the first learned.
    close(live["cl/fwt"]!, ((0.25 - 0.2) + (0.35 - 0.15)) / 2);
    close(live["cl/avg"]!, (0.6 + 0.45 + 0.8) / 3);
    close(live["cl/retention"]!, (0.6 / 0.85 + 0.45 / 0.9 + 1) / 3);
  });
  it("agree at every checkpoint along the way", () => {
    for (let now = 1; now <= steps.length; now++) {
      const s = steps.slice(0, now), Q = P.slice(0, now), rows = envRows(s, cyc, ["A", "B", "C"]);
      const live = continualNow({ steps: s, acc: Q }, cyc, ["A", "B", "C"]);
      assert.deepEqual([live["cl/forgetting"], live["cl/bwt"], live["cl/fwt"]], [forgetting(Q, rows), backwardTransfer(Q, rows), forwardTransfer(Q, Q[0]!, rows)], `at step ${s.at(-1)}`);
    }
  });
  it("on GEM's square task sequence, the checkpoint timeline gives the paper's numbers", () => {
    // Tasks 0, 1, 2 trained in turn; rows after each task, plus the init row.
    const R = [[0.9, 0.2, 0.1], [0.6, 0.8, 0.3], [0.5, 0.7, 0.95]], b = [0.1, 0.1, 0.1];
    const seq = [0, 1, 2].map((k) => ({ start: 100 * k, end: 100 * (k + 1), env: "ABC"[k]! }));
    const live = continualNow({ steps: [0, 100, 200, 300], acc: [b, ...R] }, seq, ["A", "B", "C"]);
    close(live["cl/forgetting"]!, forgetting(R)); // 0.25
    close(live["cl/bwt"]!, backwardTransfer(R)); // −0.25
    close(live["cl/fwt"]!, forwardTransfer(R, b)); // 0.15
    close(live["cl/avg"]!, averageAccuracy(R));
  });
});
