// A run's tags and notes, and deleting runs with everything stored with them, all or nothing.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { openStore, type NewRun, type Store } from "../../src/store/index.ts";

const dir = mkdtempSync(join(tmpdir(), "ecotone-store-runs-"));
const newRun = (id: string): NewRun => ({ id, name: `n-${id}`, specJson: "{}", specHash: "h", seeds: 2, steps: 10, volatility: 0, envs: ["A", "B"] });
const cell = { key: '{"x":0}', params: { x: 0 }, specJson: '{"x":0}' };

describe("tags and notes", () => {
  let store: Store;
  before(async () => {
    store = await openStore(":memory:");
    await store.createRun(newRun("r1"));
    await store.createRun(newRun("r2"));
  });
  after(() => store.close());

  it("keeps each tag once, sorted, and removes only the named ones", async () => {
    await store.tagRun("r1", ["b", "a", "b"]);
    await store.tagRun("r1", ["a", "c"]);
    await store.tagRun("r2", ["a"]);
    await store.untagRun("r1", ["c", "zz"]);
    assert.deepEqual([...(await store.tags()).entries()], [["r1", ["a", "b"]], ["r2", ["a"]]]);
    assert.deepEqual([...(await store.tags(["r2"])).entries()], [["r2", ["a"]]]);
    await assert.rejects(store.tagRun("nope", ["a"]), /no run nope$/);
  });

  it("appends notes in the order written, with their time", async () => {
    await store.addNote("r1", "first", "2026-12-02T00:00:01.000Z");
    await store.addNote("r1", "second", "2026-12-02T00:00:01.000Z"); // same instant: order still kept
    assert.deepEqual(await store.notes("r1"), [{ at: "2026-12-02T00:00:01.000Z", text: "first" }, { at: "2026-12-02T00:00:01.000Z", text: "second" }]);
    assert.deepEqual(await store.notes("r2"), []);
    await assert.rejects(store.addNote("nope", "x"), /no run nope$/);
  });
});

describe("deleteRuns", () => {
  let store: Store;
  const db = join(dir, "rm.db");
  before(async () => {
    store = await openStore(db);
    for (const id of ["d1", "d2"]) {
      await store.createRun(newRun(id));
      await store.writePhases(id, [{ start: 0, end: 10, env: "A" }]);
      await store.writeCheckpoint(id, 5, [{ step: 5, seed: 0, key: "perf/acc:A", value: 0.5 }, { step: 5, seed: 1, key: "perf/acc:A", value: 0.6 }], new Uint8Array([1, 2]));
      await store.recordDivergence(id, { seed: 1, step: 5, env: "A", what: "NaN loss" });
      await store.tagRun(id, ["t"]);
      await store.addNote(id, "note");
      await store.finishRun(id, "completed", {});
    }
    await store.createSweep({ id: "s1", name: "pd", specJson: "{}", hash: "h1" }, [cell]);
    await store.createCellRun("s1", cell.key, newRun("c1"));
    await store.finishCellRun("s1", cell.key, "c1", "completed", {});
  });
  after(() => store.close());

  const rows = (table: string, runId: string) => {
    const raw = new BetterSqlite3(db, { readonly: true });
    try {
      return (raw.prepare(`SELECT count(*) AS n FROM ${table} WHERE run_id = ?`).get(runId) as { n: number }).n;
    } finally {
      raw.close();
    }
  };
  const tables = ["metrics", "phases", "divergences", "run_state", "run_tags", "run_notes"];

  it("a dry run counts what would go and deletes nothing", async () => {
    const plan = await store.deleteRuns(["d1"], { dryRun: true });
    assert.deepEqual(plan, [{ runId: "d1", name: "n-d1", status: "completed", metrics: 2, hasState: true, tags: 1, notes: 1, cells: [] }]);
    for (const t of tables) assert.equal(rows(t, "d1"), 1 + Number(t === "metrics"), t);
  });

  it("deletes a run and every row stored with it, leaving the others", async () => {
    await store.deleteRuns(["d1"]);
    assert.equal(await store.getRun("d1"), undefined);
    for (const t of tables) assert.equal(rows(t, "d1"), 0, t);
    for (const t of tables) assert.ok(rows(t, "d2") > 0, t);
  });

  it("is all or nothing: one refused run keeps every run", async () => {
    await assert.rejects(store.deleteRuns(["d2", "c1"]), /run c1 is a cell of sweep s1: --force removes it and sets the cell back to pending$/);
    assert.ok(await store.getRun("d2"));
    await assert.rejects(store.deleteRuns(["d2", "nope"]), /no run nope$/);
    assert.ok(await store.getRun("d2"));
  });

  it("with force, deletes a cell's run and sets the cell back to pending", async () => {
    const [r] = await store.deleteRuns(["c1"], { force: true });
    assert.deepEqual(r!.cells, [{ sweepId: "s1", cellKey: cell.key }]);
    const [c] = await store.sweepCells("s1");
    assert.deepEqual([c!.runId, c!.status, c!.error], [null, "pending", null]);
    assert.equal(await store.getRun("c1"), undefined);
  });

  it("refuses a run a live process is training", async () => {
    await store.createRun(newRun("live")); // owned by this process
    await assert.rejects(store.deleteRuns(["live"], { force: true }), /run live is being trained by process \d+ on .*: stop it first$/);
    assert.ok(await store.getRun("live"));
  });
});
