import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeSchedule } from "../../src/schedules/index.ts";

const letters = (seq: Int32Array, envs: string[]) => [...seq].map((e) => envs[e]).join("");

describe("blocks", () => {
  const cases: [phaseSteps: number, order: string[] | undefined, envs: string[], steps: number, want: string, switches: number][] = [
    [3, undefined, ["A", "B"], 10, "AAABBBAAAB", 3],
    [2, undefined, ["A", "B", "C"], 8, "AABBCCAA", 3],
    [1, undefined, ["A", "B"], 5, "ABABA", 4],
    [4, ["B", "A"], ["A", "B"], 10, "BBBBAAAABB", 2],
    [2, ["C", "A"], ["A", "B", "C"], 7, "CCAACCA", 3],
    [2, ["A", "A", "B"], ["A", "B"], 8, "AAAABBAA", 2], // adjacent equal phases merge
    [5, undefined, ["A"], 12, "AAAAAAAAAAAA", 0],
    [100, undefined, ["A", "B"], 30, "A".repeat(30), 0],
  ];
  for (const [phaseSteps, order, envs, steps, want, switches] of cases) {
    const label = `phaseSteps ${phaseSteps}, order ${order ? order.join("") : "as listed"}, ${steps} steps`;
    it(`runs ${want} for ${label}`, () => {
      const s = makeSchedule({ kind: "blocks", phaseSteps, ...(order ? { order } : {}) }, envs, steps, 0);
      assert.equal(s.kind, "blocks");
      assert.equal(letters(s.sequence, envs), want);
      assert.equal(s.volatility, switches / steps);
    });
    it(`has contiguous phases covering [0, ${steps}) for ${label}`, () => {
      const s = makeSchedule({ kind: "blocks", phaseSteps, ...(order ? { order } : {}) }, envs, steps, 0);
      assert.equal(s.phases[0]!.start, 0);
      assert.equal(s.phases[s.phases.length - 1]!.end, steps);
      assert.equal(s.phases.length, switches + 1);
      s.phases.forEach((p, i) => {
        assert.ok(p.end > p.start);
        if (i > 0) {
          assert.equal(p.start, s.phases[i - 1]!.end);
          assert.notEqual(p.env, s.phases[i - 1]!.env);
        }
        for (let t = p.start; t < p.end; t++) assert.equal(envs[s.sequence[t]!], p.env);
      });
    });
  }

  it("puts the step's env in every example of its batch", () => {
    const s = makeSchedule({ kind: "blocks", phaseSteps: 3 }, ["A", "B"], 10, 0);
    const out = new Int32Array(16);
    for (let t = 0; t < 10; t++) {
      s.assign(t, out);
      assert.ok(out.every((e) => e === s.sequence[t]));
    }
  });

  it("does not depend on the seed", () => {
    const a = makeSchedule({ kind: "blocks", phaseSteps: 3 }, ["A", "B"], 20, 1);
    const b = makeSchedule({ kind: "blocks", phaseSteps: 3 }, ["A", "B"], 20, 2);
    assert.deepEqual(a.sequence, b.sequence);
  });

  it("has no phases and volatility 0 over zero steps", () => {
    const s = makeSchedule({ kind: "blocks", phaseSteps: 3 }, ["A", "B"], 0, 0);
    assert.equal(s.sequence.length, 0);
    assert.deepEqual(s.phases, []);
    assert.equal(s.volatility, 0);
  });

  it("throws naming an unknown env in the order", () => {
    assert.throws(() => makeSchedule({ kind: "blocks", phaseSteps: 3, order: ["A", "X"] }, ["A", "B"], 10, 0), /blocks order: unknown environment: X \(have A, B\)/);
  });
});
