// The store's sweep tables: idempotent creation, a cell's run linked in the same transaction that
// creates it, compare-and-set ownership, and the additive migration from a version-1 store.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { openStore, type NewRun, type Store } from "../../src/store/index.ts";
import { SCHEMA_VERSION } from "../../src/store/schema.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { tempDir } from "./_fixtures.ts";

const dir = tempDir("store");
const newRun = (id: string): NewRun => ({ id, name: "c", specJson: "{}", specHash: "h", seeds: 2, steps: 10, volatility: 0, envs: ["A", "B"] });
const cells = [
  { key: '{"x":0}', params: { x: 0 }, specJson: '{"x":0}' },
  { key: '{"x":1}', params: { x: 1 }, specJson: '{"x":1}' },
];

describe("sweep tables", () => {
  let store: Store;
  before(async () => { store = await openStore(join(dir, "runs.db")); });
  after(() => store.close());

  it("creates a sweep and its cells once; a second create keeps what exists", async () => {
    assert.equal(await store.createSweep({ id: "s1", name: "pd", specJson: "{}", hash: "h1" }, cells), true);
    await store.setCellStatus("s1", '{"x":0}', "failed", "boom");
    assert.equal(await store.createSweep({ id: "s1", name: "pd", specJson: "{}", hash: "h1" }, cells), false);
    const rows = await store.sweepCells("s1");
    assert.deepEqual(rows.map((c) => [c.idx, c.key, c.status, c.error]), [[0, '{"x":0}', "failed", "boom"], [1, '{"x":1}', "pending", null]]);
    assert.deepEqual(rows[1]!.params, { x: 1 });
    const s = (await store.getSweep("s1"))!;
    assert.equal(s.status, "running");
    assert.deepEqual(await store.listSweeps({ hash: "h1" }), [s]);
  });

  it("links a cell's run as it creates it, and finishes both together", async () => {
    await store.createCellRun("s1", '{"x":1}', newRun("r-cell-1"));
    const run = (await store.getRun("r-cell-1"))!;
    assert.equal(run.sweepId, "s1");
    let cell = (await store.sweepCells("s1"))[1]!;
    assert.deepEqual([cell.runId, cell.status], ["r-cell-1", "running"]);
    await store.finishCellRun("s1", '{"x":1}', "r-cell-1", "completed", { ok: 1 });
    cell = (await store.sweepCells("s1"))[1]!;
    assert.equal(cell.status, "completed");
    assert.deepEqual((await store.getRun("r-cell-1"))!.summary, { ok: 1 });
  });

  it("creates no run for a cell that does not exist, and finishes no run that is not the cell's", async () => {
    await assert.rejects(store.createCellRun("s1", '{"x":9}', newRun("r-orphan")), (e) => e instanceof EcotoneError && e.code === "E_NOT_FOUND");
    assert.equal(await store.getRun("r-orphan"), undefined, "rolled back with the cell update");
    await store.createRun(newRun("r-other"));
    await assert.rejects(store.finishCellRun("s1", '{"x":0}', "r-other", "completed", {}), /is not the run of cell/);
    assert.equal((await store.getRun("r-other"))!.status, "running");
  });

  it("claims a sweep only from the owner it saw", async () => {
    assert.equal(await store.claimSweep("s1", "host/1/a", null), true);
    assert.equal(await store.claimSweep("s1", "host/2/b", null), false);
    assert.equal(await store.heartbeatSweep("s1", "host/2/b"), false);
    assert.equal(await store.heartbeatSweep("s1", "host/1/a"), true);
    assert.equal(await store.claimSweep("s1", "host/2/b", "host/1/a"), true);
    await store.setSweepStatus("s1", "completed");
    const s = (await store.getSweep("s1"))!;
    assert.deepEqual([s.status, s.owner], ["completed", null]);
    assert.match(s.finishedAt ?? "", /^\d{4}-/);
  });
});

describe("migration", () => {
  it("adds the sweep tables to a version-1 store and keeps its runs", async () => {
    const path = join(dir, "v1.db");
    const s = await openStore(path);
    await s.createRun(newRun("r-old"));
    await s.close();
    const db = new BetterSqlite3(path);
    db.exec("DROP TABLE sweep_cells; DROP TABLE sweeps; ALTER TABLE runs DROP COLUMN metrics_json; UPDATE meta SET value = '1' WHERE key = 'schema_version'");
    db.close();
    const store = await openStore(path);
    assert.deepEqual(await store.getRun("r-old").then((r) => [r!.status, r!.metrics]), ["running", []]);
    assert.equal(await store.createSweep({ id: "s2", name: "pd", specJson: "{}", hash: "h" }, cells), true);
    await store.close();
    const raw = new BetterSqlite3(path);
    assert.equal((raw.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value, String(SCHEMA_VERSION));
    raw.close();
    assert.ok(SCHEMA_VERSION >= 6, "6: run_state per (run, step); later versions may follow");
  });
});
