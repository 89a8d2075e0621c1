// Random search: n seeded samples of ranges and choices beside the grid, deterministic (same spec →
// same cells and sweep id), inside their ranges with the right distribution; and a sweep cell whose
// seeds all diverge ends early as "diverged" when its base asks for train.earlyStop.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../../src/store/index.ts";
import { runSweep } from "../../src/sweep/runner.ts";
import { expandSweep, sampleRandom } from "../../src/sweep/spec.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { tempDir, tinyBase } from "./_fixtures.ts";

const specErr = (message: RegExp) => (e: unknown) => e instanceof EcotoneError && e.code === "E_SPEC" && message.test(e.message);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const search = (over: object = {}) => ({
  name: "rs", base: tinyBase(), seeds: 2,
  random: { n: 6, params: { "train.lr": { logUniform: [1e-4, 1e-1] }, "train.momentum": { uniform: [0.5, 0.9] }, "model.hidden.0": { int: [8, 24] }, "train.optimizer": { choice: ["sgd", "adam"] } } },
  ...over,
});

describe("random search", () => {
  it("draws n cells inside the ranges, the same ones for the same spec and others for another seed", () => {
    const a = expandSweep(search()), b = expandSweep(search());
    assert.equal(a.cells.length, 6);
    assert.deepEqual(a.cells.map((c) => c.key), b.cells.map((c) => c.key));
    assert.equal(a.id, b.id);
    assert.deepEqual(a.random, { n: 6, seed: 0 });
    assert.deepEqual(a.zip, ["train.lr", "train.momentum", "model.hidden.0", "train.optimizer"], "the searched paths advance together");
    for (const c of a.cells) {
      const p = c.params as { "train.lr": number; "train.momentum": number; "model.hidden.0": number; "train.optimizer": string };
      assert.ok(p["train.lr"] >= 1e-4 && p["train.lr"] <= 0.1 && p["train.momentum"] >= 0.5 && p["train.momentum"] <= 0.9);
      assert.ok(Number.isInteger(p["model.hidden.0"]) && p["model.hidden.0"] >= 8 && p["model.hidden.0"] <= 24);
      assert.ok(["sgd", "adam"].includes(p["train.optimizer"]));
      assert.equal(c.spec.train.lr, p["train.lr"], "the sample is in the cell's spec");
      assert.equal(c.spec.model.hidden[0], p["model.hidden.0"]);
    }
    const other = expandSweep(search({ random: { ...search().random, seed: 7 } }));
    assert.notDeepEqual(other.cells.map((c) => c.key), a.cells.map((c) => c.key));
    assert.notEqual(other.id, a.id);
  });

  it("the samples follow their distributions (400 draws: moments within 4 standard errors, every integer drawn)", () => {
    const s = sampleRandom({ u: { uniform: [2, 4] }, l: { logUniform: [1e-4, 1e-1] }, i: { int: [1, 4] } }, 400, 3, "t");
    const u = s.u as number[], l = (s.l as number[]).map(Math.log10), i = s.i as number[];
    assert.ok(Math.abs(mean(u) - 3) < 4 * (2 / Math.sqrt(12)) / 20, `uniform mean ${mean(u)}`);
    assert.ok(Math.abs(mean(l) + 2.5) < 4 * (3 / Math.sqrt(12)) / 20, `log10 mean ${mean(l)}: uniform in the exponent`);
    assert.ok(Math.abs(l.filter((x) => x < -2.5).length - 200) < 4 * 10, "half the draws below the geometric midpoint");
    assert.deepEqual([...new Set(i)].sort(), [1, 2, 3, 4], "both ends of an int range included");
    for (const k of [1, 2, 3, 4]) assert.ok(Math.abs(i.filter((x) => x === k).length - 100) < 4 * Math.sqrt(400 * 0.25 * 0.75));
  });

  it("crosses the grid (the same samples at every grid point), and --quick keeps the first samples", () => {
    const s = expandSweep(search({ grid: { "world.distinguishability": [0, 1] }, quick: { random: { n: 2 } } }));
    assert.equal(s.cells.length, 12);
    assert.deepEqual(s.cells.slice(0, 6).map((c) => c.params["train.lr"]), s.cells.slice(6).map((c) => c.params["train.lr"]));
    assert.deepEqual(s.cells.slice(0, 6).map((c) => c.params["world.distinguishability"]), [0, 0, 0, 0, 0, 0], "random innermost");
    const q = expandSweep(search({ grid: { "world.distinguishability": [0, 1] }, quick: { random: { n: 2 } } }), { quick: true });
    assert.deepEqual(q.cells.map((c) => c.key), [0, 1, 6, 7].map((k) => s.cells[k]!.key));
  });

  it("refuses a space smaller than n, random with zip, a bad range and an unknown path", () => {
    assert.throws(() => expandSweep(search({ random: { n: 5, params: { "train.optimizer": { choice: ["sgd", "adam"] }, "model.hidden.0": { int: [8, 9] } } } })),
      specErr(/only 4 distinct samples .* fewer than n = 5 cells; lower n/));
    assert.throws(() => expandSweep(search({ zip: { "train.lr": [0.1] } })), specErr(/random and zip: give one of them/));
    assert.throws(() => expandSweep(search({ random: { n: 2, params: { "train.lr": { uniform: [1, 0] } } } })), specErr(/low ≤ high/));
    assert.throws(() => expandSweep(search({ random: { n: 2, params: { "train.lrr": { uniform: [0, 1] } } } })), specErr(/random\.params: unknown path train\.lrr \(did you mean train\.lr\?\)/));
    assert.throws(() => expandSweep(search({ random: { n: 2, params: { "train.lr": { logUniform: [0, 1] } } } })), specErr(/random/));
  });
});

describe("early stop in a sweep", () => {
  it("a cell whose seeds all diverge ends early as diverged; the other cell completes", async () => {
    const store = await openStore(join(tempDir("early"), "runs.db"));
    const base = tinyBase(400);
    const sweep = expandSweep({ name: "es", base: { ...base, train: { ...base.train, optimizer: "sgd", earlyStop: "allDiverged" } }, grid: { "train.lr": [0.01, 1e6] }, seeds: 2 });
    const out = await runSweep(sweep, { store, workers: 1 });
    assert.equal(out.completed, 1);
    const runs = await store.listRuns({ sweepId: sweep.id });
    const blown = runs.find((r) => r.status === "diverged")!, fine = runs.find((r) => r.status === "completed")!;
    assert.ok(blown && fine, `one diverged and one completed run: ${runs.map((r) => r.status)}`);
    const summary = blown.summary as { earlyStop?: { step: number }; lastStep: number };
    assert.ok(summary.earlyStop && summary.earlyStop.step < 400 && summary.lastStep < 400, JSON.stringify(summary.earlyStop));
    assert.equal((fine.summary as { lastStep: number }).lastStep, 400);
    await store.close();
  });
});
