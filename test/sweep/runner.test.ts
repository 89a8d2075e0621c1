// Running cells in processes: a failing or crashing cell is isolated and retried next time; an
// interrupted sweep resumes its unfinished runs; a sweep held by a live process is refused.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openStore, type Store } from "../../src/store/index.ts";
import { runSweep, type CellEvent } from "../../src/sweep/runner.ts";
import { expandSweep } from "../../src/sweep/spec.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { tempDir, tinyBase } from "./_fixtures.ts";

let store: Store;
before(async () => { store = await openStore(join(tempDir("runner"), "runs.db")); });
after(() => store.close());

const completedRuns = async (sweepId: string) => (await store.listRuns({ sweepId, status: "completed" })).map((r) => r.id).sort();

describe("isolation", () => {
  const sweep = expandSweep({ name: "iso", base: tinyBase(), grid: { "world.distinguishability": [0, 0.25, 0.5, 1] }, seeds: 2 });
  const key = (d: number) => sweep.cells.find((c) => c.params["world.distinguishability"] === d)!.key;

  it("a cell whose run throws, and one whose process is killed, fail alone; the others complete", async () => {
    const events: CellEvent[] = [];
    const out = await runSweep(sweep, {
      store, workers: 2, onCell: (e) => events.push(e),
      faults: [{ match: '"world.distinguishability":0.25}', kind: "crash" }, { match: '"world.distinguishability":0.5}', kind: "throw" }],
    });
    assert.deepEqual([out.status, out.completed, out.failed, out.ran], ["failed", 2, 2, 4]);
    const cells = new Map((await store.sweepCells(sweep.id)).map((c) => [c.key, c]));
    const crashed = cells.get(key(0.25))!, threw = cells.get(key(0.5))!;
    assert.equal(crashed.status, "failed");
    assert.match(crashed.error!, /cell process killed by SIGKILL/);
    assert.equal(threw.status, "failed");
    assert.match(threw.error!, /injected fault at step 20/);
    for (const c of [crashed, threw]) assert.equal((await store.getRun(c.runId!))!.status, "failed", "no run is left 'running'");
    for (const d of [0, 1]) {
      const c = cells.get(key(d))!;
      assert.equal(c.status, "completed");
      assert.equal((await store.getRun(c.runId!))!.status, "completed");
    }
    assert.deepEqual(events.map((e) => e.type).sort(), ["completed", "completed", "failed", "failed"]);
    assert.equal((await store.getSweep(sweep.id))!.status, "failed");
  });

  it("the next start retries the failed cells only, and completes the sweep", async () => {
    const before = new Map((await store.sweepCells(sweep.id)).map((c) => [c.key, c.runId]));
    const out = await runSweep(sweep, { store, workers: 2 });
    assert.deepEqual([out.status, out.completed, out.failed, out.ran, out.resumed], ["completed", 4, 0, 2, 0]);
    const cells = await store.sweepCells(sweep.id);
    for (const d of [0, 1]) assert.equal(cells.find((c) => c.key === key(d))!.runId, before.get(key(d)), "completed cells untouched");
    assert.deepEqual(await completedRuns(sweep.id), cells.map((c) => c.runId!).sort(), "exactly one completed run per cell");
  });

  it("a completed sweep started again runs nothing", async () => {
    const out = await runSweep(sweep, { store, workers: 2, onStart: () => assert.fail("nothing to start") });
    assert.deepEqual([out.status, out.completed, out.ran, out.resumed], ["completed", 4, 0, 0]);
  });
});

describe("interrupt and resume", () => {
  it("an interrupted sweep keeps its unfinished runs and resumes them, not restarts them", async () => {
    const sweep = expandSweep({ name: "int", base: tinyBase(240), grid: { "model.bottleneck": [0, 4, 8] }, seeds: 2 });
    const ac = new AbortController();
    const first = await runSweep(sweep, { store, workers: 2, signal: ac.signal, onProgress: (done) => done >= 150 && ac.abort() });
    assert.equal(first.status, "interrupted");
    assert.equal((await store.getSweep(sweep.id))!.status, "interrupted");
    const mid = (await store.sweepCells(sweep.id)).filter((c) => c.status === "running");
    assert.ok(mid.length >= 1, "a cell was stopped mid-run");
    for (const c of mid) assert.equal((await store.getRun(c.runId!))!.status, "interrupted");
    const second = await runSweep(sweep, { store, workers: 2 });
    assert.equal(second.status, "completed");
    assert.equal(second.resumed, mid.length);
    const cells = await store.sweepCells(sweep.id);
    for (const c of mid) assert.equal(cells.find((x) => x.key === c.key)!.runId, c.runId, "same run, resumed");
    assert.deepEqual(await completedRuns(sweep.id), cells.map((c) => c.runId!).sort());
    assert.equal((await store.listRuns({ sweepId: sweep.id })).length, 3, "no run was started twice");
  });
});

describe("baselines", () => {
  it("a cell whose spec trains the weighted-sum baselines is linked to its own run, never to a baseline", async () => {
    const sweep = expandSweep({ name: "ws", base: { ...tinyBase(), baselines: true }, grid: { "schedule.phaseSteps": [10, 30] }, seeds: 2 });
    // The first cell's process dies while it trains its first baseline: its own run exists already
    // (created first, so an interrupt there leaves a run to resume), and it is the one linked.
    const out = await runSweep(sweep, { store, workers: 1, faults: [{ match: '"schedule.phaseSteps":10}', kind: "crash" }] });
    assert.deepEqual([out.status, out.completed, out.failed], ["failed", 1, 1]);
    const [crashed, ok] = await store.sweepCells(sweep.id);
    assert.equal(crashed!.status, "failed");
    const own = (await store.getRun(crashed!.runId!))!;
    assert.equal(own.specJson, crashed!.specJson, "the crashed cell is linked to its own run, never to a baseline");
    assert.notEqual(own.status, "running", "no run is left 'running'");
    assert.equal(ok!.status, "completed");
    const run = (await store.getRun(ok!.runId!))!;
    assert.equal(run.specJson, ok!.specJson, "the cell's run trains the cell's spec");
    const b = (run.summary as any).baselines;
    assert.equal((await store.getRun(b.mixture))!.status, "completed");
    assert.notEqual(b.mixture, ok!.runId);
  });
});

describe("shared baselines", () => {
  it("cells sharing the weighted-sum baselines train them once, even on parallel workers", async () => {
    const sweep = expandSweep({ name: "shared", base: { ...tinyBase(), baselines: true }, grid: { "schedule.phaseSteps": [10, 20, 30] }, seeds: 2 });
    const out = await runSweep(sweep, { store, workers: 2 });
    assert.deepEqual([out.completed, out.failed], [3, 0]);
    const runs = (await store.listRuns()).filter((r) => r.name.startsWith("shared/"));
    assert.deepEqual(runs.map((r) => r.name).sort(), ["shared/mixture", "shared/specialist:A", "shared/specialist:B"]);
    const linked = await Promise.all((await store.sweepCells(sweep.id)).map(async (c) => ((await store.getRun(c.runId!))!.summary as any).baselines.mixture));
    assert.equal(new Set(linked).size, 1);
  });
});

describe("ownership", () => {
  it("refuses a sweep that a live process is running, and takes over one whose owner died", async () => {
    const sweep = expandSweep({ name: "own", base: tinyBase(), seeds: 1 });
    await store.createSweep({ id: sweep.id, name: sweep.name, specJson: "{}", hash: sweep.hash }, sweep.cells.map((c) => ({ key: c.key, params: c.params, specJson: "{}" })));
    assert.equal(await store.claimSweep(sweep.id, `${hostname()}/${process.pid}/1`, null), true);
    await assert.rejects(runSweep(sweep, { store, workers: 1 }), (e) => e instanceof EcotoneError && new RegExp(`being run by process ${process.pid}`).test(e.message));
    assert.equal(await store.claimSweep(sweep.id, `${hostname()}/999999999/1`, `${hostname()}/${process.pid}/1`), true); // a pid that cannot exist
    const out = await runSweep(sweep, { store, workers: 1 });
    assert.equal(out.status, "completed");
  });

  it("refuses an in-memory store, which cell processes cannot open", async () => {
    const mem = await openStore(":memory:");
    await assert.rejects(runSweep(expandSweep({ base: tinyBase() }), { store: mem }), /not :memory:/);
    await mem.close();
  });
});
