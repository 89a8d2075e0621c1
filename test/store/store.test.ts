import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import BetterSqlite3 from "better-sqlite3";
import { openStore, type MetricPoint, type NewRun, type Store } from "../../src/store/index.ts";
import { SCHEMA_VERSION } from "../../src/store/schema.ts";
import { livenessDefaults, processOwner } from "../../src/store/liveness.ts";
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
    assert.match(run?.heartbeatAt ?? "", /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(run, {
      ...newRun("r1-aaaa1111"),
      status: "running",
      createdAt: "2024-01-01T00:00:00.000Z",
      finishedAt: null,
      summary: null,
      sweepId: null,
      metrics: [],
      owner: processOwner(), // created by this process: it owns the run
      heartbeatAt: run?.heartbeatAt,
    });
    await store.setStatus("r1-aaaa1111", "interrupted");
    const stopped = await store.getRun("r1-aaaa1111");
    assert.deepEqual([stopped?.status, stopped?.owner, stopped?.heartbeatAt], ["interrupted", null, null], "released");
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

  it("opens :memory:; a postgres URL with no server behind it fails without showing its password", async () => {
    const mem = await openStore(":memory:");
    await mem.createRun(newRun("m"));
    assert.equal((await mem.listRuns()).length, 1);
    await mem.close();
    for (const url of ["postgres://u:secret@127.0.0.1:1/ecotone", "postgresql://u:secret@127.0.0.1:1/ecotone"]) {
      await assert.rejects(openStore(url), (err) => isCode("E_STORE")(err) && /cannot be reached/.test(String(err)) && !/secret/.test(String(err)));
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

describe("liveness: who trains a run", () => {
  let store: Store;
  const path = join(tmp, "live.db");
  before(async () => { store = await openStore(path); });
  after(() => store.close());
  /** Sets a run's owner behind the store's back, as another process would have. */
  const setOwner = (id: string, owner: string | null, heartbeatAt: string | null) => {
    const db = new BetterSqlite3(path);
    db.prepare("UPDATE runs SET owner = ?, heartbeat_at = ? WHERE id = ?").run(owner, heartbeatAt, id);
    db.close();
  };
  const now = () => new Date().toISOString();
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  const gone = () => spawnSync(process.execPath, ["-e", "0"]).pid; // a process that has exited
  const status = async (id: string) => (await store.getRun(id))?.status;

  it("a running run whose owner process is gone reads as stale, and is listed so", async () => {
    await store.createRun(newRun("lv-dead"));
    assert.equal(await status("lv-dead"), "running", "its creator (this process) owns it");
    setOwner("lv-dead", `${hostname()}/${gone()}/0`, now());
    assert.equal(await status("lv-dead"), "stale");
    assert.ok((await store.listRuns({ status: "stale" })).some((r) => r.id === "lv-dead"));
    assert.ok(!(await store.listRuns({ status: "running" })).some((r) => r.id === "lv-dead"));
    assert.ok((await store.listRuns({ status: "running" })).every((r) => r.status === "running"));
  });

  it("a heartbeat older than the bound is stale, here and on another host; no owner at all is stale", async () => {
    await store.createRun(newRun("lv-far"));
    setOwner("lv-far", "elsewhere/1/0", now());
    assert.equal(await status("lv-far"), "running", "another host: judged by its heartbeat");
    setOwner("lv-far", "elsewhere/1/0", ago(livenessDefaults.staleMs + 1000));
    assert.equal(await status("lv-far"), "stale");
    setOwner("lv-far", `${hostname()}/${process.ppid}/0`, ago(livenessDefaults.staleMs + 1000));
    assert.equal(await status("lv-far"), "stale", "a live pid with a silent heartbeat may be a reused pid");
    setOwner("lv-far", null, null);
    assert.equal(await status("lv-far"), "stale", "left running by an ecotone that recorded no owner");
  });

  it("claimRun refuses a live owner, naming its pid, and takes over once it is gone", async () => {
    await store.createRun(newRun("lv-claim"));
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      setOwner("lv-claim", `${hostname()}/${other.pid}/0`, now());
      assert.equal(await status("lv-claim"), "running");
      await assert.rejects(store.claimRun("lv-claim"), (e) => isCode("E_STORE")(e) && new RegExp(`being trained by process ${other.pid} on ${hostname()}`).test(String(e)));
      assert.equal(await store.heartbeatRun("lv-claim"), false, "not ours");
    } finally {
      other.kill("SIGKILL");
      await new Promise((r) => other.once("exit", r));
    }
    assert.equal(await status("lv-claim"), "stale");
    await store.claimRun("lv-claim");
    const run = (await store.getRun("lv-claim"))!;
    assert.deepEqual([run.status, run.owner], ["running", processOwner()]);
    assert.equal(await store.heartbeatRun("lv-claim"), true);
    await store.finishRun("lv-claim", "completed", null);
    assert.deepEqual(await store.getRun("lv-claim").then((r) => [r?.status, r?.owner]), ["completed", null]);
    await assert.rejects(store.setStatus("lv-claim", "stale"), isCode("E_ARGS"));
  });
});

describe("read-only and damaged stores", () => {
  const fresh = async (name: string) => {
    const p = join(tmp, name);
    const s = await openStore(p);
    await s.createRun(newRun("ro-1"));
    await s.writeCheckpoint("ro-1", 0, grid(0, ["k"], 2));
    await s.close();
    return p;
  };

  it("read-only: a missing file is not created; a store is read but never written", async () => {
    const missing = join(tmp, "ro-missing", "runs.db");
    await assert.rejects(openStore(missing, { readonly: true }), (e) => isCode("E_NOT_FOUND")(e) && /no run store at/.test(String(e)));
    assert.equal(existsSync(join(tmp, "ro-missing")), false);
    const s = await openStore(await fresh("ro.db"), { readonly: true });
    try {
      assert.deepEqual(await s.metrics("ro-1"), grid(0, ["k"], 2));
      await assert.rejects(s.createRun(newRun("ro-2")), (e) => isCode("E_STORE")(e) && /cannot write to the store .*ro\.db: it is read-only/.test(String(e)));
    } finally {
      await s.close();
    }
  });

  it("read-only, an older store is upgraded when its file can be written", async () => {
    const p = await fresh("ro-old.db");
    const db = new BetterSqlite3(p);
    db.exec("ALTER TABLE runs DROP COLUMN owner; ALTER TABLE runs DROP COLUMN heartbeat_at; UPDATE meta SET value = '3' WHERE key = 'schema_version'");
    db.close();
    const s = await openStore(p, { readonly: true });
    try {
      assert.equal((await s.getRun("ro-1"))?.status, "stale", "left running by an older ecotone, with no owner");
    } finally {
      await s.close();
    }
  });

  it("refuses to write into a store with garbage in its pages, and says how to recover", async () => {
    const p = await fresh("damaged.db");
    const s = await openStore(p);
    for (let i = 0; i < 40; i++) await s.writeCheckpoint("ro-1", i + 1, grid(i + 1, ["a", "b", "c", "d"], 8));
    await s.close();
    const bytes = readFileSync(p);
    for (let page = 2; page < bytes.length / 4096; page += 3) bytes.fill(0x5a, page * 4096 + 1500, page * 4096 + 1800);
    writeFileSync(p, bytes);
    await assert.rejects(openStore(p), (e) => isCode("E_STORE")(e) && /the store .*damaged\.db is damaged: .*sqlite3 .*damaged\.db \.recover \| sqlite3 fixed\.db/.test(String(e)));
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
