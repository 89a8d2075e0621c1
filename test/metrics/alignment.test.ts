// Alignment-based conditionality and churn on constructed outputs whose answers are known.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alignment, targetConditionality } from "../../src/metrics/alignment.ts";

const E = 2, N = 6, C = 4, S = 1;
// Teacher k's label for content n: A = n mod 4, B = (n+1) mod 4: they disagree everywhere.
const labels = Int32Array.from({ length: E * N }, (_, i) => (Math.floor(i / N) + (i % N)) % C);
const teacherB = (n: number) => labels[N + n]!, teacherA = (n: number) => labels[n]!;

/** Outputs [S=1, E, N, C] of a policy (cue e, content n) → class, written as sharp-ish distributions. */
function outputs(policy: (e: number, n: number) => number, conf = 0.7): Float32Array {
  const p = new Float32Array(E * N * C).fill((1 - conf) / (C - 1));
  for (let e = 0; e < E; e++) for (let n = 0; n < N; n++) p[(e * N + n) * C + policy(e, n)] = conf;
  return p;
}
const run = (window: Float32Array[]) => alignment(window, labels, { T: window.length, S, E, N, C });

describe("alignment", () => {
  it("the teachers' own conditionality is 1 when they disagree everywhere and 0 when they agree", () => {
    assert.ok(Math.abs(targetConditionality(labels, E, N) - 1) < 1e-12);
    const same = Int32Array.from({ length: E * N }, (_, i) => i % N % C);
    assert.equal(targetConditionality(same, E, N), 0);
  });

  const cases: [string, Float32Array[], number, number][] = [
    ["a model that ignores the cue has zero conditionality and, if stable, zero churn", [outputs((_, n) => teacherA(n)), outputs((_, n) => teacherA(n))], 0, 0],
    ["a model that looks the answer up by cue has full conditionality", [outputs((e, n) => (e ? teacherB(n) : teacherA(n)))], 1, 0],
    ["checkpoints alternating between two policies have full churn", [0, 1, 0, 1].map((t) => outputs((_, n) => (t ? teacherB(n) : teacherA(n)))), 0, 1],
    ["confidence does not matter, only the chosen answers", [outputs((e, n) => (e ? teacherB(n) : teacherA(n)), 0.3)], 1, 0],
    ["a 3:1 split in time gives churn 3/4", [0, 0, 0, 1].map((t) => outputs((_, n) => (t ? teacherB(n) : teacherA(n)))), 0, 0.75],
  ];
  for (const [name, window, cond, churn] of cases)
    it(name, () => {
      const r = run(window);
      assert.ok(Math.abs(r.cond[0]! - cond) < 1e-9, `cond ${r.cond[0]}`);
      assert.ok(Math.abs(r.churn[0]! - churn) < 1e-9, `churn ${r.churn[0]}`);
    });

  it("flicker between tied answers on scattered inputs adds little churn", () => {
    // At every checkpoint one different content flips to the other teacher's answer.
    const window = [0, 1, 2, 3, 4, 5].map((t) => outputs((_, n) => (n === t ? teacherB(n) : teacherA(n))));
    assert.ok(run(window).churn[0]! < 0.4);
  });
});
