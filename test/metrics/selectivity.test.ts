import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maskOverlap, selectiveFraction, topUnits, unitSelectivity } from "../../src/metrics/selectivity.ts";
import { close } from "./_fixtures.ts";

/** Activations `[M][1]` of one unit: `values[e]` are its samples under env e; labels to match. */
function unit(values: number[][]): { x: Float64Array; labels: Int32Array; M: number } {
  const flat = values.flatMap((v, e) => v.map((a) => [a, e] as const));
  return { x: Float64Array.from(flat, ([a]) => a), labels: Int32Array.from(flat, ([, e]) => e), M: flat.length };
}

describe("unitSelectivity", () => {
  const cases: [string, number[][], "index" | "dprime", number][] = [
    ["fires only for env 0 → index 1", [[2, 4], [0, 0], [0, 0]], "index", 1],
    ["fires for env 2 only → index 1 (any preferred env)", [[0], [0], [5]], "index", 1],
    ["constant unit → 0", [[1, 1], [1, 1], [1, 1]], "index", 0],
    ["dead unit → 0", [[0, 0], [0, 0]], "index", 0],
    ["means (3, 1, 1) → (3 - 1) / (3 + 1) = 0.5", [[3], [1], [1]], "index", 0.5],
    ["means (4, 2, 0): rest = 1 → 3 / 5 = 0.6", [[4], [2], [0]], "index", 0.6],
    ["d': μ = (3, 1), σ² = (1, 1) → 2 / 1 = 2", [[2, 4], [0, 2]], "dprime", 2],
    ["d': μ = (1, 0), σ² = (0.25, 0) → 1 / √0.125", [[0.5, 1.5], [0, 0]], "dprime", 1 / Math.sqrt(0.125)],
    ["d': separated with zero variance → Infinity", [[1, 1], [0, 0]], "dprime", Infinity],
    ["index on a signed unit with μ_max + μ_rest < 0 → NaN", [[-1], [-3]], "index", NaN],
  ];
  for (const [name, values, kind, want] of cases) {
    it(name, () => {
      const { x, labels, M } = unit(values);
      const got = unitSelectivity(x, labels, M, 1, kind)[0]!;
      if (Number.isFinite(want)) close(got, want, 1e-12);
      else assert.equal(got, want);
    });
  }

  it("scores each unit of a [M][H] matrix", () => {
    // unit 0 fires for env 0 only, unit 1 is constant, unit 2 fires for env 1 with twice env 0's mean
    const x = Float64Array.from([1, 5, 1, 1, 5, 1, 0, 5, 2, 0, 5, 2]);
    const sel = unitSelectivity(x, [0, 0, 1, 1], 4, 3);
    [1, 0, 1 / 3].forEach((s, h) => close(sel[h]!, s, 1e-12));
    close(selectiveFraction(sel, 0.5), 1 / 3);
  });

  it("throws when an env has no samples", () => {
    assert.throws(() => unitSelectivity([1, 2], [0, 2], 2, 1), /got none of env 1/);
  });
});

describe("maskOverlap", () => {
  const cases: [string, number[], number, number, number, number][] = [
    // [name, scores [E][H], E, H, frac, want]
    ["identical attributions → 1", [4, 3, 2, 1, 4, 3, 2, 1], 2, 4, 0.5, 1],
    ["disjoint top halves → 0", [4, 3, 0, 0, 0, 0, 4, 3], 2, 4, 0.5, 0],
    ["tops {0,1} and {1,2}: 1/3 by hand", [4, 3, 0, 0, 0, 4, 3, 0], 2, 4, 0.5, 1 / 3],
    ["3 envs: pairs 1, 0, 0 → 1/3", [9, 0, 0, 9, 0, 0, 0, 0, 9], 3, 3, 0.2, 1 / 3],
    ["a single env → NaN", [1, 2], 1, 2, 0.5, NaN],
  ];
  for (const [name, scores, E, H, frac, want] of cases) {
    it(name, () => {
      const got = maskOverlap(scores, E, H, frac);
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got));
      else close(got, want, 1e-12);
    });
  }

  it("topUnits keeps at least one unit and breaks ties by index", () => {
    assert.deepEqual([...topUnits([1, 1, 1, 1], 0.5)], [0, 1]);
    assert.deepEqual([...topUnits([0, 2, 1], 0.01)], [1]);
    assert.throws(() => topUnits([1], 0), /expected frac in \(0, 1\], got 0/);
  });
});
