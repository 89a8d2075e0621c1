// Which saved states a run keeps (`ecotone run --keep-states final|none|every`) and what
// `ecotone gc` deletes and gives back, on SQLite and (when a server can start here) PostgreSQL.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import BetterSqlite3 from "better-sqlite3";
import { unkept } from "../../src/cli/commands/gc.ts";
import { openStore, type NewRun, type StateEntry } from "../../src/store/index.ts";
import { startPostgres } from "../_pg.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "ecotone-gc-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], { cwd: root, encoding: "utf8", timeout: 300_000 });
}
const run = (id: string, keepStates?: NewRun["keepStates"]): NewRun => ({ id, name: "g", specJson: "{}", specHash: "h", seeds: 1, steps: 30, volatility: 0, envs: ["A"], keepStates });

describe("unkept: what gc deletes", () => {
  const e = (runId: string, step: number, status: StateEntry["status"], keep: StateEntry["keep"] = "final"): StateEntry => ({ runId, step, bytes: 1, status, keep });
  it("older states of finished runs (by their policy or the one given), all of a run keeping none, orphans; never a resumable run's", () => {
    const states = [
      e("a", 10, "completed", "every"), e("a", 20, "completed", "every"),
      e("b", 10, "completed"), e("b", 20, "completed"),
      e("c", 20, "diverged", "none"),
      e("d", 10, "interrupted", "none"), e("d", 20, "running"), e("f", 5, "failed", "none"), e("s", 5, "stale"),
      e("x", 7, null),
    ];
    const ids = (l: StateEntry[]) => l.map((s) => `${s.runId}${s.step}`);
    assert.deepEqual(ids(unkept(states)), ["b10", "c20", "x7"]);
    assert.deepEqual(ids(unkept(states, "final")), ["a10", "b10", "x7"]);
    assert.deepEqual(ids(unkept(states, "none")), ["a10", "a20", "b10", "b20", "c20", "x7"]);
    assert.deepEqual(ids(unkept(states, "every")), ["x7"]);
  });
});

describe("ecotone run --keep-states and ecotone gc on SQLite", () => {
  const db = join(tmp, "runs.db");
  const spec = join(tmp, "tiny.yaml");
  writeFileSync(spec, [
    "name: tiny", "seeds: 2", "world: { content: 12, cue: 4, classes: 4 }", "envs: [{ name: A, objective: sft }, { name: B, objective: sft }]",
    "schedule: { kind: blocks, phaseSteps: 10 }", "model: { hidden: [16] }", "train: { steps: 30, evalEvery: 10, batch: 16, probes: 32 }", "metrics: { window: 10 }", "",
  ].join("\n"));
  const ids: Record<string, string> = {};

  it("every keeps one state per checkpoint, none keeps none, final (the default) keeps the last", async () => {
    for (const keep of ["every", "none", "final"]) {
      const r = cli(["run", spec, "--store", db, "--json", ...(keep === "final" ? [] : ["--keep-states", keep])]);
      assert.equal(r.status, 0, r.stderr);
      ids[keep] = (JSON.parse(r.stdout) as { runId: string }).runId;
    }
    const bad = cli(["run", spec, "--store", db, "--keep-states", "some"]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /Allowed choices are final, none, every/);
    const store = await openStore(db, { readonly: true });
    const states = await store.states();
    await store.close();
    const steps = (id: string) => states.filter((s) => s.runId === id).map((s) => s.step);
    assert.deepEqual([steps(ids.every!), steps(ids.none!), steps(ids.final!)], [[10, 20, 30], [], [30]]);
  });

  it("gc --dry-run deletes nothing; gc deletes the orphans and what the policy drops, and the file shrinks", async (t) => {
    if (!ids.every) return t.skip("needs the runs of the previous test");
    // An orphan: a state whose run is gone (written by a store without enforced foreign keys).
    const raw = new BetterSqlite3(db);
    raw.pragma("foreign_keys = OFF");
    raw.prepare("INSERT INTO run_state (run_id, step, state) VALUES (?, ?, ?)").run("gone-run", 1, randomBytes(2 << 20));
    raw.close();
    const dry = cli(["gc", "--store", db, "--dry-run", "--json"]);
    assert.equal(dry.status, 0, dry.stderr);
    assert.deepEqual(pick(JSON.parse(dry.stdout)), { dryRun: true, states: 5, deleted: 1, runs: 1, bytesAfter: null });
    const gc = JSON.parse(cli(["gc", "--store", db, "--keep-states", "final", "--json"]).stdout);
    assert.deepEqual(pick(gc), { dryRun: false, states: 5, deleted: 3, runs: 2, bytesAfter: gc.bytesAfter });
    assert.ok(gc.bytesBefore - gc.bytesAfter >= 2 << 20, `${gc.bytesBefore} → ${gc.bytesAfter}: the orphan's 2 MiB are given back (VACUUM)`);
    const store = await openStore(db, { readonly: true });
    assert.deepEqual((await store.states()).map((s) => [s.runId, s.step]).sort(), [[ids.every!, 30], [ids.final!, 30]].sort());
    await store.close();
    const text = cli(["gc", "--store", db]);
    assert.match(text.stdout, /^deleted 0 of 2 saved states .*\nstore .*runs\.db: [\d.]+ MB before, [\d.]+ MB after/);
  });
});

const pick = (o: Record<string, unknown>) => ({ dryRun: o.dryRun, states: o.states, deleted: o.deleted, runs: o.runs, bytesAfter: o.bytesAfter });

describe("ecotone gc on PostgreSQL", () => {
  it("deletes what the policy drops and reports the sizes before and after", async (t) => {
    const pg = await startPostgres();
    if ("skip" in pg) return t.skip(pg.skip);
    try {
      const store = await openStore(pg.url);
      await store.createRun(run("pg-every", "every"));
      for (const step of [10, 20, 30]) await store.writeCheckpoint("pg-every", step, [], new Uint8Array(randomBytes(1 << 20)));
      await store.finishRun("pg-every", "completed", null);
      await store.close();
      const r = cli(["gc", "--store", pg.url, "--keep-states", "final", "--json"]);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(pick(out), { dryRun: false, states: 3, deleted: 2, runs: 1, bytesAfter: out.bytesAfter });
      // The server keeps the freed pages for reuse (VACUUM FULL would give them back, but locks out every worker).
      assert.ok(out.bytesBefore > 3 << 20 && out.bytesAfter > 0, `${out.bytesBefore} → ${out.bytesAfter}`);
      assert.equal(out.stateBytes, 2 << 20);
      assert.match(out.store, /:\*\*\*@/);
      assert.ok(!r.stdout.includes(pg.password) && !r.stderr.includes(pg.password));
    } finally {
      await pg.stop();
    }
  });
});
