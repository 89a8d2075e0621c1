import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeSchedule } from "../../src/schedules/index.ts";

/** Per-example env frequencies over `steps` batches of size `batch`. */
function frequencies(weights: Record<string, number> | undefined, envs: string[], steps = 2000, batch = 64, seed = 0): number[] {
  const s = makeSchedule({ kind: "mixture", ...(weights ? { weights } : {}) }, envs, steps, seed);
  const counts = new Array<number>(envs.length).fill(0);
  const out = new Int32Array(batch);
  for (let t = 0; t < steps; t++) {
    s.assign(t, out);
    for (const e of out) {
      assert.ok(e >= 0 && e < envs.length);
      counts[e]!++;
    }
  }
  return counts.map((c) => c / (steps * batch));
}

describe("mixture", () => {
  const cases: [string, Record<string, number> | undefined, string[], number[]][] = [
    ["equal by default", undefined, ["A", "B", "C"], [1 / 3, 1 / 3, 1 / 3]],
    ["1:3", { A: 1, B: 3 }, ["A", "B"], [0.25, 0.75]],
    ["unnormalised 2:5:3", { A: 2, B: 5, C: 3 }, ["A", "B", "C"], [0.2, 0.5, 0.3]],
    ["an env left out counts as weight 0", { A: 1, C: 1 }, ["A", "B", "C"], [0.5, 0, 0.5]],
    ["an explicit zero weight", { A: 0, B: 4, C: 1 }, ["A", "B", "C"], [0, 0.8, 0.2]],
    ["a zero weight on the last env", { A: 1, B: 1, C: 0 }, ["A", "B", "C"], [0.5, 0.5, 0]],
  ];
  for (const [what, weights, envs, want] of cases) {
    it(`draws per-example envs at the normalised weights: ${what}`, () => {
      const got = frequencies(weights, envs);
      got.forEach((f, i) => {
        if (want[i] === 0) assert.equal(f, 0, `env ${envs[i]} appeared`);
        else assert.ok(Math.abs(f - want[i]!) < 0.01, `env ${envs[i]}: ${f} vs ${want[i]}`);
      });
    });
  }

  it("has volatility 0, an all −1 sequence and one mixture phase", () => {
    const s = makeSchedule({ kind: "mixture", weights: { A: 1, B: 2 } }, ["A", "B"], 300, 0);
    assert.equal(s.kind, "mixture");
    assert.equal(s.volatility, 0);
    assert.equal(s.sequence.length, 300);
    assert.ok(s.sequence.every((e) => e === -1));
    assert.deepEqual(s.phases, [{ start: 0, end: 300, env: "mixture" }]);
  });

  it("mixes envs inside a single batch", () => {
    const s = makeSchedule({ kind: "mixture" }, ["A", "B"], 10, 0);
    const out = new Int32Array(64);
    s.assign(0, out);
    assert.equal(new Set(out).size, 2);
  });

  it("assigns the same batch for the same seed and step, another for another step or seed", () => {
    const batch = (seed: number, step: number) => {
      const out = new Int32Array(64);
      makeSchedule({ kind: "mixture" }, ["A", "B", "C"], 100, seed).assign(step, out);
      return out;
    };
    assert.deepEqual(batch(1, 5), batch(1, 5));
    assert.notDeepEqual(batch(1, 5), batch(1, 6));
    assert.notDeepEqual(batch(1, 5), batch(2, 5));
  });

  it("rejects all-zero weights", () => {
    assert.throws(() => makeSchedule({ kind: "mixture", weights: { A: 0, B: 0 } }, ["A", "B"], 10, 0), /mixture weights: at least one weight must be positive/);
    assert.throws(() => makeSchedule({ kind: "mixture", weights: {} }, ["A", "B"], 10, 0), /at least one weight must be positive/);
  });

  it("throws naming an unknown env in the weights", () => {
    assert.throws(() => makeSchedule({ kind: "mixture", weights: { A: 1, Q: 1 } }, ["A", "B"], 10, 0), /mixture weights: unknown environment: Q \(have A, B\)/);
  });
});
