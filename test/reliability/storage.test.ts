// The disk under the store fails: it fills up, it is read-only, the file is damaged. Each is said
// in words that name the cause, never a stack; a run stopped by one is left interrupted and
// resumable, holding every checkpoint written before and nothing half-written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { startDashboard } from "../../src/dashboard/server.ts";
import { parseSpec } from "../../src/experiment/load.ts";
import { openStore, StoreFault, type Store } from "../../src/store/index.ts";
import { resumeRun, runExperiment } from "../../src/train/run.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { get } from "../dashboard/_client.ts";
import { ecotone, leaksStack, mount, peek, readonlyView, rootOnly, scratch, spec, specFile } from "./_cli.ts";

const dirs: string[] = [];
const cleanups: (() => void)[] = [];
after(() => {
  cleanups.reverse().forEach((f) => f());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const dir = () => { const d = scratch("storage"); dirs.push(d); return d; };
const strip = (ps: { step: number; seed: number; key: string; value: number | null }[]) => ps.map(({ step, seed, key, value }) => [step, seed, key, value]);

/** The run a store holds, its status and last checkpoint, and whether SQLite finds the file sound. */
const state = (db: string) => peek(db, async (s) => {
  const run = (await s.listRuns())[0]!;
  return { id: run.id, status: run.status, lastStep: await s.lastStep(run.id), sound: (await s.integrity()) === null };
});

describe("a full disk", () => {
  it("a write the file system refuses stops the run, names the cause, and leaves it interrupted and resumable", { timeout: 60_000 }, async () => {
    // A file size limit (ulimit -f) makes the store's writes fail for real, as a full disk does.
    const cwd = dir();
    const file = specFile(cwd, "big", spec("big", 1500));
    const r = spawnSync("bash", ["-c", `trap '' XFSZ; ulimit -f 512; exec "${process.execPath}" "$@"`, "bash", join(import.meta.dirname, "../../bin/ecotone.js"), "run", file, "--store", "runs.db"], { cwd, encoding: "utf8", env: { ...process.env, CI: "1" } });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(!leaksStack(r.stderr), r.stderr);
    const s = await state(join(cwd, "runs.db"));
    assert.match(r.stderr, new RegExp(`^ecotone: (cannot write to the store runs\\.db: the disk is full|input/output error on the store runs\\.db) \\(.*\\).*\\nrun ${s.id} keeps every checkpoint written before; resume it with: ecotone run --resume ${s.id} --store runs\\.db$`, "m"));
    assert.equal(s.status, "interrupted");
    assert.ok(s.sound, "no half-written page");
    assert.ok(s.lastStep !== undefined && s.lastStep > 0 && s.lastStep < 1500, `kept up to step ${s.lastStep}`);
    const again = ecotone(cwd, "run", "--resume", s.id, "--store", "runs.db", "--json");
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual([JSON.parse(again.stdout).status, JSON.parse(again.stdout).lastStep], ["completed", 1500]);
  });

  it("SQLITE_FULL mid-run: interrupted, its checkpoints kept; resumed, the same numbers as a run that never stopped", async () => {
    const tiny = parseSpec({ name: "full", seeds: 2, world: { content: 12, cue: 4, classes: 4 }, envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }],
      schedule: { kind: "blocks", phaseSteps: 20 }, model: { hidden: [16] }, train: { steps: 100, evalEvery: 20, batch: 16, probes: 32 } });
    const store = await openStore(join(dir(), "runs.db"));
    try {
      const whole = await runExperiment(tiny, { store, threads: 1 });
      // The store as a disk that fills up at step 60 would leave it.
      const full = new Proxy(store, {
        get(target, p) {
          const v = Reflect.get(target, p, target);
          if (p !== "writeCheckpoint") return typeof v === "function" ? v.bind(target) : v;
          return async (...args: Parameters<Store["writeCheckpoint"]>) => {
            if (args[1] >= 60) throw new BetterSqlite3.SqliteError("database or disk is full", "SQLITE_FULL");
            return target.writeCheckpoint(...args);
          };
        },
      });
      let runId = "";
      await assert.rejects(runExperiment(tiny, { store: full, threads: 1 }), (e) => {
        runId = (e as StoreFault).runId ?? "";
        return e instanceof StoreFault && e.fault === "full" && /the disk is full \(database or disk is full\)/.test(e.message) && /resume it with: ecotone run --resume r/.test(e.message);
      });
      const run = (await store.getRun(runId))!;
      assert.deepEqual([run.status, run.owner, await store.lastStep(runId)], ["interrupted", null, 40]);
      assert.equal((await resumeRun(runId, { store, threads: 1 })).status, "completed");
      assert.deepEqual(strip(await store.metrics(runId)), strip(await store.metrics(whole.runId)));
    } finally {
      await store.close();
    }
  });

  it("a 2 MB tmpfs that fills up: the disk is full, the run interrupted; moved to a larger disk, it resumes", { skip: rootOnly, timeout: 60_000 }, async () => {
    const cwd = dir();
    const small = join(cwd, "small");
    mkdirSync(small);
    mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", small);
    cleanups.push(() => void spawnSync("umount", [small]));
    const r = ecotone(cwd, "run", specFile(cwd, "big", spec("big", 3000)), "--store", "small/runs.db");
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^ecotone: cannot write to the store small\/runs\.db: the disk is full \(database or disk is full\); free some space/m);
    assert.ok(!leaksStack(r.stderr), r.stderr);
    const s = await state(join(small, "runs.db"));
    assert.equal(s.status, "interrupted");
    assert.ok(s.sound);
    cpSync(small, join(cwd, "big"), { recursive: true });
    const again = ecotone(cwd, "run", "--resume", s.id, "--store", "big/runs.db", "--json");
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).lastStep, 3000);
  });
});

describe("read-only stores", () => {
  it("ui, report and plot read a store in a read-only folder; run says it cannot write there", { skip: rootOnly, timeout: 60_000 }, async () => {
    const cwd = dir();
    const made = ecotone(cwd, "run", specFile(cwd, "s", spec("ro", 100)), "--store", "src/runs.db", "--json");
    assert.equal(made.status, 0, made.stderr);
    const id = JSON.parse(made.stdout).runId;
    const ro = join(cwd, "ro");
    cleanups.push(readonlyView(join(cwd, "src"), ro));
    const db = join(ro, "runs.db");
    assert.equal(existsSync(`${db}-shm`), false, "a WAL store with no -shm: the hard case");

    const rep = ecotone(cwd, "report", id, "--store", db, "-o", "r.html");
    assert.equal(rep.status, 0, rep.stderr);
    assert.ok(readFileSync(join(cwd, "r.html"), "utf8").includes(id));
    const plot = ecotone(cwd, "plot", id, "--store", db, "-o", "p.svg");
    assert.equal(plot.status, 0, plot.stderr);
    const reader = await openStore(db, { readonly: true }); // what `ecotone ui` opens
    const ui = await startDashboard({ store: reader, port: 0, log: () => {} });
    try {
      assert.equal((await get(ui.url, `/api/runs/${id}`)).json().run.status, "completed");
    } finally {
      await ui.close();
      await reader.close();
    }

    const files = readdirSync(ro).sort();
    for (const store of [db, join(ro, "new.db")]) {
      const r = ecotone(cwd, "run", join(cwd, "s.yaml"), "--store", store);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^ecotone: cannot open store .*ro\/(runs|new)\.db: .*(read-only|EROFS)/);
      assert.ok(!leaksStack(r.stderr), r.stderr);
    }
    assert.deepEqual(readdirSync(ro).sort(), files, "nothing written");
  });

  it("a store that needs a migration, read-only, says so", { skip: rootOnly }, async () => {
    const cwd = dir();
    const src = join(cwd, "src");
    mkdirSync(src);
    const old = await openStore(join(src, "runs.db"));
    await old.close();
    const raw = new BetterSqlite3(join(src, "runs.db"));
    raw.exec("ALTER TABLE runs DROP COLUMN owner; ALTER TABLE runs DROP COLUMN heartbeat_at; UPDATE meta SET value = '3' WHERE key = 'schema_version'");
    raw.close();
    const ro = join(cwd, "ro");
    cleanups.push(readonlyView(src, ro));
    await assert.rejects(openStore(join(ro, "runs.db"), { readonly: true }), (e) =>
      e instanceof EcotoneError && /is schema version 3, this ecotone reads version \d+, and cannot be upgraded here: it is read-only/.test(e.message));
  });

  it("a store file its user may not write: run says so, report still reads it", { skip: rootOnly || (spawnSync("runuser", ["-u", "nobody", "--", "true"]).status !== 0 && "no runuser or no user nobody"), timeout: 60_000 }, async () => {
    const cwd = dir();
    chmodSync(cwd, 0o777);
    const made = ecotone(cwd, "run", specFile(cwd, "s", spec("perm", 60)), "--store", "runs.db", "--json");
    assert.equal(made.status, 0, made.stderr);
    chmodSync(join(cwd, "runs.db"), 0o444);
    const as = (...args: string[]) => spawnSync("runuser", ["-u", "nobody", "--", "env", "HOME=/tmp", "CI=1", process.execPath, join(import.meta.dirname, "../../bin/ecotone.js"), ...args], { cwd, encoding: "utf8" });
    const r = as("run", join(cwd, "s.yaml"), "--store", join(cwd, "runs.db"));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^ecotone: cannot open store .*runs\.db: it is read-only \(EACCES/);
    assert.ok(!leaksStack(r.stderr), r.stderr);
    const rep = as("report", JSON.parse(made.stdout).runId, "--store", join(cwd, "runs.db"), "-o", join(cwd, "r.html"));
    assert.equal(rep.status, 0, rep.stderr);
  });
});

describe("a damaged store", () => {
  it("garbage in its pages: run refuses to write into it, saying how to recover; report says it is damaged, no stack", { timeout: 60_000 }, async () => {
    const cwd = dir();
    const made = ecotone(cwd, "run", specFile(cwd, "s", spec("dmg", 400)), "--store", "runs.db", "--json");
    assert.equal(made.status, 0, made.stderr);
    const bytes = readFileSync(join(cwd, "runs.db"));
    for (let page = 2; page < bytes.length / 4096 - 1; page += 7) bytes.fill(0xa5, page * 4096 + 1500, page * 4096 + 1800);
    writeFileSync(join(cwd, "runs.db"), bytes);
    copyFileSync(join(cwd, "runs.db"), join(cwd, "before.db"));

    const r = ecotone(cwd, "run", join(cwd, "s.yaml"), "--store", "runs.db");
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^ecotone: the store runs\.db is damaged: .+; copy what can be read with `sqlite3 runs\.db \.recover \| sqlite3 fixed\.db` and use --store fixed\.db, or start a new store$/m);
    assert.ok(!leaksStack(r.stderr), r.stderr);
    assert.deepEqual(readFileSync(join(cwd, "runs.db")), readFileSync(join(cwd, "before.db")), "nothing written into it");

    const rep = ecotone(cwd, "report", JSON.parse(made.stdout).runId, "--store", "runs.db", "-o", "r.html");
    assert.equal(rep.status, 1, rep.stderr);
    assert.match(rep.stderr, /^ecotone: the store runs\.db is damaged: /);
    assert.ok(!leaksStack(rep.stderr), rep.stderr);
  });
});
