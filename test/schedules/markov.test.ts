import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeSchedule } from "../../src/schedules/index.ts";

const switchesOf = (seq: Int32Array) => seq.reduce((n, e, t) => n + (t > 0 && e !== seq[t - 1] ? 1 : 0), 0);

describe("markov", () => {
  const rates: [switchProb: number, envs: string[]][] = [
    [0.05, ["A", "B"]],
    [0.05, ["A", "B", "C"]], // a switch that could land on the same env would show as ≈ 0.033 here
    [0.2, ["A", "B", "C", "D"]],
    [0.01, ["A", "B", "C"]],
  ];
  for (const [switchProb, envs] of rates) {
    it(`switches at a realised rate ≈ ${switchProb} with ${envs.length} envs over 20,000 steps`, () => {
      const steps = 20_000;
      const s = makeSchedule({ kind: "markov", switchProb }, envs, steps, 3);
      assert.ok(Math.abs(s.volatility - switchProb) < 0.01, `volatility ${s.volatility}`);
      assert.equal(s.volatility, switchesOf(s.sequence) / steps);
      assert.equal(s.phases.length, switchesOf(s.sequence) + 1);
    });
  }

  it("visits every env, never staying put on a switch", () => {
    const envs = ["A", "B", "C"];
    const s = makeSchedule({ kind: "markov", switchProb: 0.1 }, envs, 5000, 0);
    assert.deepEqual(new Set(s.sequence), new Set([0, 1, 2]));
    s.phases.forEach((p, i) => i > 0 && assert.notEqual(p.env, s.phases[i - 1]!.env));
  });

  it("alternates every step at switchProb 1 with two envs", () => {
    const s = makeSchedule({ kind: "markov", switchProb: 1 }, ["A", "B"], 7, 0);
    assert.deepEqual([...s.sequence], [0, 1, 0, 1, 0, 1, 0]);
    assert.equal(s.volatility, 6 / 7);
  });

  it("never switches at switchProb 0, or with one env", () => {
    for (const [p, envs] of [[0, ["A", "B"]], [0.5, ["A"]]] as const) {
      const s = makeSchedule({ kind: "markov", switchProb: p }, [...envs], 1000, 0);
      assert.ok(s.sequence.every((e) => e === 0));
      assert.equal(s.volatility, 0);
      assert.deepEqual(s.phases, [{ start: 0, end: 1000, env: "A" }]);
    }
  });

  it("starts at the given env, or the first listed", () => {
    assert.equal(makeSchedule({ kind: "markov", switchProb: 0.01, start: "C" }, ["A", "B", "C"], 10, 0).sequence[0], 2);
    assert.equal(makeSchedule({ kind: "markov", switchProb: 0.01 }, ["A", "B", "C"], 10, 0).sequence[0], 0);
    assert.throws(() => makeSchedule({ kind: "markov", switchProb: 0.01, start: "Z" }, ["A", "B"], 10, 0), /markov start: unknown environment: Z/);
  });

  it("gives the same sequence for the same seed and a different one for another", () => {
    const a = makeSchedule({ kind: "markov", switchProb: 0.05 }, ["A", "B", "C"], 2000, 7);
    const b = makeSchedule({ kind: "markov", switchProb: 0.05 }, ["A", "B", "C"], 2000, 7);
    const c = makeSchedule({ kind: "markov", switchProb: 0.05 }, ["A", "B", "C"], 2000, 8);
    assert.deepEqual(a.sequence, b.sequence);
    assert.deepEqual(a.phases, b.phases);
    assert.notDeepEqual(a.sequence, c.sequence);
  });

  it("has contiguous phases covering [0, steps) and fills batches with the step's env", () => {
    const s = makeSchedule({ kind: "markov", switchProb: 0.1 }, ["A", "B", "C"], 500, 1);
    assert.equal(s.phases[0]!.start, 0);
    assert.equal(s.phases.at(-1)!.end, 500);
    for (let i = 1; i < s.phases.length; i++) assert.equal(s.phases[i]!.start, s.phases[i - 1]!.end);
    const out = new Int32Array(8);
    for (let t = 0; t < 500; t += 37) {
      s.assign(t, out);
      assert.ok(out.every((e) => e === s.sequence[t]));
    }
  });
});
