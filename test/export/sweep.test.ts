// A sweep's cells.csv numbers its cells from 1, as `ecotone sweep` prints them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cellsCsv } from "../../src/export/index.ts";
import type { CellResult, SweepResults } from "../../src/sweep/results.ts";
import { parseCsv } from "./_util.ts";

const cell = (index: number, d: number): CellResult => ({
  index, key: `{"d":${d}}`, params: { "world.distinguishability": d }, status: "completed", label: "conditional-policy",
  scores: { "conditional-policy": 0.9 }, ci: { "conditional-policy": { lo: 0.8, hi: 0.95 } }, performance: { A: { mean: 0.5, sd: 0.1, n: 2 } },
  headline: {}, volatility: 0.05, runIds: [`r${index}`], error: null,
});

describe("cellsCsv", () => {
  it("numbers cells from 1 and keeps one column per parameter", () => {
    const r: SweepResults = { sweepId: "s1", name: "g", status: "completed", grid: ["world.distinguishability"], zip: [], cells: [cell(0, 0), cell(1, 0.5), cell(2, 1)], completed: 3, failed: 0 };
    const [head, ...rows] = parseCsv(cellsCsv(r));
    assert.deepEqual(head!.slice(0, 4), ["cell", "world.distinguishability", "status", "label"]);
    assert.deepEqual(rows.map((x) => x[0]), ["1", "2", "3"]);
    assert.deepEqual(rows.map((x) => x[1]), ["0", "0.5", "1"]);
    assert.deepEqual(rows.map((x) => x[head!.indexOf("run_ids")]), ["r0", "r1", "r2"]);
  });
});
