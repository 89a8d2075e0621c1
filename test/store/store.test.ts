import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import BetterSqlite3 from "better-sqlite3";
import { openStore, type MetricPoint, type NewRun, type Store } from "../../src/store/index.ts";
import { SCHEMA_VERSION } from "../../src/store/schema.ts";
import { EcotoneError } from "../../src/util/errors.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "ecotone-store-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const newRun = (id: string, over: Partial<NewRun> = {}): NewRun => ({
  id,
  name: "mix",
  specJson: JSON.stringify({ name: "mix", steps: 100 }),
  specHash: "h1",
  seeds: 2,
  steps: 100,
  volatility: 0.05,
  envs: ["A", "B"],
  ...over,
});

const grid = (step: number, keys: string[], seeds: number, f = (k: number, s: number) => step + k / 10 + s / 100): MetricPoint[] =>
  keys.flatMap((key, k) => Array.from({ length: seeds }, (_, seed) => ({ step, seed, key, value: f(k, seed) })));

const isCode = (code: string) => (err: unknown) => err instanceof EcotoneError && err.code === code;

describe("sqlite store", () => {
  let store: Store;
  const path = join(tmp, "nested", "dir", "runs.db"); // parent folders are created
  before(async () => {
    store = await openStore(path);
  });
  after(() => store.close());

  it("round-trips a run and its status", async () => {
    await store.createRun(newRun("r1-aaaa1111", { createdAt: "2024-01-01T00:00:00.000Z" }));
    const run = await store.getRun("r1-aaaa1111");
    assert.deepEqual(run, {
      ...newRun("r1-aaaa1111"),
      status: "running",
      createdAt: "2024-01-01T00:00:00.000Z",
      finishedAt: null,
      summary: null,
      sweepId: null,
      metrics: [],
    });
    await store.setStatus("r1-aaaa1111", "interrupted");
    assert.equal((await store.getRun("r1-aaaa1111"))?.status, "interrupted");
    await store.finishRun("r1-aaaa1111", "completed", { class: "generalist", score: [0.25, null] });
    const done = await store.getRun("r1-aaaa1111");
    assert.equal(done?.status, "completed");
    assert.deepEqual(done?.summary, { class: "generalist", score: [0.25, null] });
    assert.match(done?.finishedAt ?? "", /^\d{4}-\d\d-\d\dT/);
  });

  it("round-trips a run's metric descriptors", async () => {
    const metrics = [{ key: "custom/score", title: "My score", range: [0, 1] as [number, number], headline: true, panel: "custom" }];
    await store.createRun(newRun("r1-desc0001", { metrics }));
    assert.deepEqual((await store.getRun("r1-desc0001"))?.metrics, metrics);
  });

  it("refuses a duplicate id and unknown runs", async () => {
    await assert.rejects(store.createRun(newRun("r1-aaaa1111")), isCode("E_STORE"));
    await assert.rejects(store.setStatus("nope", "failed"), isCode("E_NOT_FOUND"));
    await assert.rejects(store.finishRun("nope", "failed", null), isCode("E_NOT_FOUND"));
    await assert.rejects(store.writeCheckpoint("nope", 0, grid(0, ["k"], 1)), isCode("E_NOT_FOUND"));
    await assert.rejects(store.writePhases("nope", [{ start: 0, end: 1, env: "A" }]), isCode("E_NOT_FOUND"));
    await assert.rejects(store.recordDivergence("nope", { seed: 0, step: 1, env: "A", what: "NaN loss" }), isCode("E_NOT_FOUND"));
    assert.equal(await store.getRun("nope"), undefined);
  });

  it("resolves a unique id prefix of at least 4 chars; an ambiguous one throws E_ARGS", async () => {
    await store.createRun(newRun("abcd1234"));
    await store.createRun(newRun("abcd5678"));
    assert.equal((await store.getRun("abcd1"))?.id, "abcd1234");
    assert.equal(await store.getRun("r1-"), undefined); // too short, though unique
    assert.equal((await store.getRun("r1-a"))?.id, "r1-aaaa1111");
    assert.equal(await store.getRun("ABCD1"), undefined); // case-sensitive
    assert.equal(await store.getRun("abc%"), undefined); // no wildcards
    await assert.rejects(store.getRun("abcd"), (err) => isCode("E_ARGS")(err) && /abcd1234, abcd5678/.test(String(err)));
  });

  it("writes checkpoints, re-writing a step replaces it", async () => {
    await store.createRun(newRun("ck"));
    assert.equal(await store.lastStep("ck"), undefined);
    await store.writeCheckpoint("ck", 0, grid(0, ["perf/acc:A", "perf/acc:B"], 2));
    await store.writeCheckpoint("ck", 10, grid(10, ["perf/acc:A", "perf/acc:B", "loss"], 2));
    await store.writeCheckpoint("ck", 10, grid(10, ["perf/acc:A"], 2, () => 7)); // a resumed run redoes step 10
    assert.equal(await store.lastStep("ck"), 10);
    const all = await store.metrics("ck");
    assert.deepEqual(all, [...grid(0, ["perf/acc:A", "perf/acc:B"], 2), ...grid(10, ["perf/acc:A"], 2, () => 7)]);
    await store.writeCheckpoint("ck", 5, grid(5, ["loss"], 1)); // an older step does not lower lastStep
    assert.equal(await store.lastStep("ck"), 10);
  });

  it("orders and filters metric reads", async () => {
    await store.createRun(newRun("rd"));
    await store.writeCheckpoint("rd", 20, grid(20, ["b", "a"], 3));
    await store.writeCheckpoint("rd", 10, grid(10, ["b", "a"], 3));
    const all = await store.metrics("rd");
    const order = all.map((p) => `${p.step}/${p.key}/${p.seed}`);
    assert.deepEqual(order.slice(0, 4), ["10/a/0", "10/a/1", "10/a/2", "10/b/0"]);
    assert.equal(all.length, 12);
    assert.deepEqual(await store.metrics("rd", { keys: ["a"], fromStep: 15 }), grid(20, ["b", "a"], 3).filter((p) => p.key === "a"));
    assert.deepEqual(await store.metrics("rd", { keys: [] }), []);
  });

  it("stores NaN, infinities and null as null, run-level aggregates at seed -1", async () => {
    await store.createRun(newRun("nulls"));
    const values = [NaN, Infinity, -Infinity, null, 0, -0.5, 1e-300, 0.1 + 0.2];
    const points = values.map((value, i) => ({ step: 3, seed: i === 0 ? -1 : i, key: "x", value }));
    await store.writeCheckpoint("nulls", 3, points);
    const back = (await store.metrics("nulls")).map((p) => [p.seed, p.value]);
    assert.deepEqual(back, [[-1, null], [1, null], [2, null], [3, null], [4, 0], [5, -0.5], [6, 1e-300], [7, 0.1 + 0.2]]);
  });

  it("replaces the state blob and loads it back byte-identical", async () => {
    await store.createRun(newRun("st"));
    assert.equal(await store.loadState("st"), undefined);
    const a = new Uint8Array(300_000).map((_, i) => (i * 7919) % 256);
    await store.writeCheckpoint("st", 1, [], a);
    const view = new Uint8Array(new Uint8Array([9, 9, 0, 1, 2, 255, 9]).buffer, 2, 4); // a view with an offset
    await store.writeCheckpoint("st", 2, grid(2, ["k"], 1), view);
    await store.writeCheckpoint("st", 3, grid(3, ["k"], 1)); // no state: the old one stays
    assert.deepEqual(await store.loadState("st"), { step: 2, state: new Uint8Array([0, 1, 2, 255]) });
    await store.writeCheckpoint("st", 4, [], a);
    const loaded = await store.loadState("st");
    assert.equal(loaded?.step, 4);
    assert.deepEqual(loaded?.state, a);
  });

  it("keeps the first divergence per seed and replaces phases", async () => {
    await store.createRun(newRun("dv"));
    await store.recordDivergence("dv", { seed: 1, step: 412, env: "B", what: "NaN loss" });
    await store.recordDivergence("dv", { seed: 1, step: 500, env: "A", what: "inf grad" });
    await store.recordDivergence("dv", { seed: 0, step: 7, env: "A", what: "NaN loss" });
    assert.deepEqual(await store.divergences("dv"), [
      { seed: 0, step: 7, env: "A", what: "NaN loss" },
      { seed: 1, step: 412, env: "B", what: "NaN loss" },
    ]);
    await store.writePhases("dv", [{ start: 0, end: 50, env: "A" }, { start: 50, end: 100, env: "B" }]);
    const phases = [{ start: 0, end: 30, env: "B" }, { start: 30, end: 60, env: "A" }, { start: 60, end: 100, env: "B" }];
    await store.writePhases("dv", phases);
    assert.deepEqual(await store.phases("dv"), phases);
  });

  it("lists runs newest first, filtered", async () => {
    const s = await openStore(join(tmp, "list.db"));
    try {
      await s.createRun(newRun("l1", { createdAt: "2024-01-01T00:00:00.000Z", sweepId: "sw" }));
      await s.createRun(newRun("l2", { createdAt: "2024-01-03T00:00:00.000Z", name: "other" }));
      await s.createRun(newRun("l3", { createdAt: "2024-01-02T00:00:00.000Z", sweepId: "sw" }));
      await s.setStatus("l3", "failed");
      const ids = async (f?: Parameters<Store["listRuns"]>[0]) => (await s.listRuns(f)).map((r) => r.id);
      assert.deepEqual(await ids(), ["l2", "l3", "l1"]);
      assert.deepEqual(await ids({ sweepId: "sw" }), ["l3", "l1"]);
      assert.deepEqual(await ids({ name: "mix" }), ["l3", "l1"]);
      assert.deepEqual(await ids({ status: "running" }), ["l2", "l1"]);
      assert.deepEqual(await ids({ status: "failed", sweepId: "sw", name: "mix" }), ["l3"]);
      assert.deepEqual(await ids({ name: "none" }), []);
    } finally {
      await s.close();
    }
  });

  it("shares the file with a second open store and persists across reopen", async () => {
    const reader = await openStore(path); // like a dashboard reading while the run writes
    await store.createRun(newRun("live"));
    await store.writeCheckpoint("live", 1, grid(1, ["k"], 2), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await reader.metrics("live"), grid(1, ["k"], 2));
    await reader.close();
    const again = await openStore(path);
    assert.equal((await again.getRun("live"))?.name, "mix");
    assert.deepEqual(await again.loadState("live"), { step: 1, state: new Uint8Array([1, 2, 3]) });
    assert.equal((await again.listRuns()).length, (await store.listRuns()).length);
    await again.close();
  });

  it("opens :memory: and refuses postgres URLs for now", async () => {
    const mem = await openStore(":memory:");
    await mem.createRun(newRun("m"));
    assert.equal((await mem.listRuns()).length, 1);
    await mem.close();
    for (const url of ["postgres://u:secret@db/ecotone", "postgresql://db/ecotone"]) {
      await assert.rejects(openStore(url), (err) => isCode("E_STORE")(err) && /PostgreSQL store not available yet/.test(String(err)) && !/secret/.test(String(err)));
    }
  });

  it("refuses a file that is not a database", async () => {
    const junk = join(tmp, "junk.db");
    writeFileSync(junk, "this is not sqlite, just text long enough to have a header".repeat(20));
    await assert.rejects(openStore(junk), isCode("E_STORE"));
  });

  it("migrates a version-2 store: its runs have no descriptors, new runs keep theirs", async () => {
    const old = join(tmp, "v2.db");
    const v2 = await openStore(old);
    await v2.createRun(newRun("v2-old"));
    await v2.close();
    const db = new BetterSqlite3(old);
    db.exec("ALTER TABLE runs DROP COLUMN metrics_json; UPDATE meta SET value = '2' WHERE key = 'schema_version'");
    db.close();
    const s = await openStore(old);
    try {
      assert.deepEqual((await s.getRun("v2-old"))?.metrics, []);
      const metrics = [{ key: "custom/score", title: "My score", panel: "custom" }];
      await s.createRun(newRun("v3-new", { metrics }));
      assert.deepEqual((await s.getRun("v3-new"))?.metrics, metrics);
    } finally {
      await s.close();
    }
    const raw = new BetterSqlite3(old);
    assert.equal((raw.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value, String(SCHEMA_VERSION));
    raw.close();
  });
});

// A child writes checkpoints as fast as it can and is killed with SIGKILL at a random moment;
// the file must hold every checkpoint it reported whole, and no partial one.
const SEEDS = 8;
const KEYS = 40;
const STATE_BYTES = 40_000;
const value = (step: number, k: number, s: number) => step * 1000 + k + s / 16;
const childScript = `
import { openStore } from ${JSON.stringify(pathToFileURL(join(root, "src/store/index.ts")).href)};
const [dbPath, runId] = process.argv.slice(2);
const store = await openStore(dbPath);
const value = ${value.toString()};
for (let step = 0; ; step++) {
  const points = [];
  for (let k = 0; k < ${KEYS}; k++) for (let s = 0; s < ${SEEDS}; s++) points.push({ step, seed: s, key: "perf/k" + k, value: value(step, k, s) });
  await store.writeCheckpoint(runId, step, points, new Uint8Array(${STATE_BYTES}).fill(step % 256));
  process.stdout.write(step + "\\n");
}
`;

async function writeUntilKilled(dbPath: string, runId: string, minSteps: number): Promise<number> {
  const script = join(tmp, "writer.mjs");
  writeFileSync(script, childScript);
  const child = spawn(process.execPath, ["--import", "tsx", script, dbPath, runId], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let reported = -1;
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      reported = Math.max(reported, ...d.toString().trim().split("\n").map(Number));
      if (reported >= minSteps) setTimeout(resolve, Math.random() * 20); // land anywhere in a write
    });
    child.on("exit", () => reject(new Error(`writer exited early: ${stderr}`)));
  });
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
  return reported;
}

describe("a writer killed with SIGKILL", () => {
  it("leaves a readable store holding only whole checkpoints", { timeout: 15_000 }, async () => {
    const dbPath = join(tmp, "killed.db");
    for (const runId of ["k1", "k2", "k3"]) {
      const setup = await openStore(dbPath);
      await setup.createRun(newRun(runId));
      await setup.close();
      const reported = await writeUntilKilled(dbPath, runId, 15);
      const store = await openStore(dbPath);
      const points = await store.metrics(runId);
      const last = await store.lastStep(runId);
      assert.ok(last !== undefined && last >= reported, `last stored step ${last} < reported ${reported}`);
      const bySteps = new Map<number, MetricPoint[]>();
      for (const p of points) bySteps.set(p.step, [...(bySteps.get(p.step) ?? []), p]);
      assert.deepEqual([...bySteps.keys()], Array.from({ length: last + 1 }, (_, i) => i));
      for (const [step, ps] of bySteps) {
        assert.equal(ps.length, KEYS * SEEDS, `step ${step} is partial`);
        for (const p of ps) assert.equal(p.value, value(step, Number(p.key.slice("perf/k".length)), p.seed));
      }
      const state = await store.loadState(runId);
      assert.equal(state?.step, last);
      assert.equal(state?.state.length, STATE_BYTES);
      assert.ok(state?.state.every((b) => b === last % 256));
      await store.close();
    }
  });
});
