// The daily workflow on stored runs: ls, show, tag, note, and `latest` wherever a run id is taken.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { openStore, processOwner } from "../../src/store/index.ts";
import { parseSince } from "../../src/cli/commands/_runs.ts";
import { listRuns } from "../../src/cli/commands/ls.ts";

const bin = join(import.meta.dirname, "../../bin/ecotone.js");
const dir = mkdtempSync(join(tmpdir(), "ecotone-runs-"));
const db = join(dir, "runs.db");
const ecotone = (...args: string[]) => spawnSync(process.execPath, [bin, ...args, "--store", db], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
const json = (...args: string[]) => {
  const r = ecotone(...args, "--json");
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

const ci = { lo: 0.1, hi: 0.3 };
const summary = (label: string) => ({
  performance: { A: { mean: 0.9, sd: 0.01, n: 2 } },
  classification: { label, n: 2, scores: { specialist: 0.2, generalist: 0.8 }, ci: { specialist: ci, generalist: { lo: 0.7, hi: 0.9 } } },
  headline: {},
});
const spec = (name: string) => JSON.stringify({ name, seeds: 2, train: { steps: 100, lr: 0.01 } });

// Three runs, oldest first: an old completed one, a diverged one in a sweep, and one still running here.
before(async () => {
  const store = await openStore(db);
  const add = async (id: string, name: string, createdAt: string, extra: { sweepId?: string } = {}) =>
    store.createRun({ id, name, specJson: spec(name), specHash: "h", seeds: 2, steps: 100, volatility: 0.01, envs: ["A", "B"], createdAt, ...extra });
  await add("raaaa0000001", "alpha-base", "2026-01-01T00:00:00.000Z");
  await store.finishRun("raaaa0000001", "completed", summary("generalist"));
  await add("rbbbb0000002", "beta-lr", new Date(Date.now() - 3_600_000).toISOString());
  await store.recordDivergence("rbbbb0000002", { seed: 1, step: 40, env: "B", what: "NaN loss" });
  await store.finishRun("rbbbb0000002", "diverged", summary("unresolved"));
  await add("rcccc0000003", "alpha-lr", new Date().toISOString());
  await store.close();
  // Its owner was killed: a process on another host, silent since long ago.
  const raw = new Database(db);
  raw.prepare("UPDATE runs SET owner = 'elsewhere/1/0', heartbeat_at = '2026-01-01T00:00:00.000Z' WHERE id = 'rcccc0000003'").run();
  raw.close();
});

describe("ecotone ls", () => {
  it("lists runs newest first with status, class, seeds, steps and tags", () => {
    const { runs } = json("ls");
    assert.deepEqual(runs.map((r: any) => r.id), ["rcccc0000003", "rbbbb0000002", "raaaa0000001"]);
    assert.deepEqual(runs.map((r: any) => [r.status, r.class]), [["stale", null], ["diverged", "unresolved"], ["completed", "generalist"]]);
    const r = ecotone("ls");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^id\s+name\s+status\s+class\s+seeds\s+steps\s+created\s+tags$/m);
    assert.match(r.stdout, /^raaaa0000001\s+alpha-base\s+completed\s+generalist\s+2\s+100\s+2026-01-01 00:00$/m);
  });

  it("filters by name substring, status, class, sweep and age", async () => {
    const store = await openStore(db, { readonly: true });
    const ids = async (f: Parameters<typeof listRuns>[1]) => (await listRuns(store, f)).map((r) => r.id);
    try {
      assert.deepEqual(await ids({ name: "alpha" }), ["rcccc0000003", "raaaa0000001"]);
      assert.deepEqual(await ids({ status: "stale" }), ["rcccc0000003"]);
      assert.deepEqual(await ids({ class: "generalist" }), ["raaaa0000001"]);
      assert.deepEqual(await ids({ sweep: "nope" }), []);
      assert.deepEqual(await ids({ since: "3d" }), ["rcccc0000003", "rbbbb0000002"]);
      assert.deepEqual(await ids({ since: "2025-12-31", name: "base" }), ["raaaa0000001"]);
    } finally {
      await store.close();
    }
    assert.deepEqual(json("ls", "--name", "alpha", "--since", "3d").runs.map((r: any) => r.id), ["rcccc0000003"]); // and from the command line
    const bad = ecotone("ls", "--status", "done");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--status must be one of .*, got done$/m);
  });

  it("reads --since as an age or an ISO date, and refuses anything else", () => {
    const now = Date.parse("2026-12-02T12:00:00Z");
    assert.equal(parseSince("2h", now), "2026-12-02T10:00:00.000Z");
    assert.equal(parseSince("3d", now), "2026-11-29T12:00:00.000Z");
    assert.equal(parseSince("2026-12-01", now), "2026-12-01T00:00:00.000Z");
    assert.throws(() => parseSince("yesterday", now), /--since must be an ISO date or an age like 2h or 3d, got yesterday$/);
  });
});

describe("ecotone tag and note", () => {
  it("tags a run by prefix, filters ls by tag, and removes a tag", () => {
    assert.deepEqual(json("tag", "raaa", "baseline", "paper:fig2", "baseline").tags, ["baseline", "paper:fig2"]);
    assert.deepEqual(json("ls", "--tag", "baseline").runs.map((r: any) => r.id), ["raaaa0000001"]);
    assert.match(ecotone("ls").stdout, /^raaaa0000001 .* baseline,paper:fig2$/m);
    assert.deepEqual(json("tag", "raaaa0000001", "baseline", "--remove").tags, ["paper:fig2"]);
    const bad = ecotone("tag", "raaa", "two words");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /a tag is letters, digits and _ \. : \+ -, got "two words"/);
  });

  it("appends timestamped notes in order, and `latest` names the newest run", () => {
    const first = json("note", "latest", "lr too high?");
    assert.equal(first.runId, "rcccc0000003");
    assert.ok(Date.parse(first.at) <= Date.now());
    json("note", "rcccc", "yes: diverges at 0.1");
    const shown = json("show", "latest");
    assert.deepEqual(shown.notes.map((n: any) => n.text), ["lr too high?", "yes: diverges at 0.1"]);
  });

  it("says which run is missing", () => {
    const missing = ecotone("note", "rzzzz", "x");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no run rzzzz$/m);
    const short = ecotone("tag", "r", "x");
    assert.equal(short.status, 1);
    assert.match(short.stderr, /no run r$/m); // shorter than the minimum prefix
  });
});

describe("ecotone show", () => {
  it("prints the spec as YAML, the status, class with intervals, tags, notes and divergences", () => {
    const r = ecotone("show", "rbbb");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^run rbbbb0000002 \(beta-lr\): diverged$/m);
    assert.match(r.stdout, /^class: unresolved {2}\(mean \[95% bootstrap CI\] over 2 seeds\)$/m);
    assert.match(r.stdout, /^ {2}generalist\s+0\.800 \[0\.700, 0\.900\]$/m);
    assert.match(r.stdout, /^ {2}A\s+0\.900 ± 0\.010 {2}n=2$/m);
    assert.match(r.stdout, /^ {2}seed 1: NaN loss at step 40, env B$/m);
    assert.match(r.stdout, /^spec\n {2}name: beta-lr\n {2}seeds: 2\n {2}train:\n {4}steps: 100$/m);
  });

  it("names the owner of a running run and --json carries everything", async () => {
    const store = await openStore(db);
    await store.claimRun("rcccc0000003"); // owned by this (live) process
    await store.close();
    const s = json("show", "rcccc");
    assert.equal(s.run.status, "running");
    assert.equal(s.run.owner, processOwner());
    assert.deepEqual(s.spec, JSON.parse(spec("alpha-lr")));
    assert.equal(s.notes.length, 2);
    assert.match(ecotone("show", "rcccc").stdout, new RegExp(`^owner: process ${process.pid} on .*, heartbeat 20`, "m"));
  });

  it("latest on an empty store is a user error; plot and report accept latest", () => {
    const empty = spawnSync(process.execPath, [bin, "show", "latest", "--store", join(dir, "empty.db")], { encoding: "utf8", cwd: dir });
    assert.equal(empty.status, 1);
    const out = join(dir, "latest.html");
    const r = ecotone("report", "latest", "-o", out);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(out));
  });
});

describe("ecotone rm", () => {
  it("refuses all when one run is trained by a live process; --dry-run lists; then deletes", () => {
    const refused = ecotone("rm", "rbbb", "latest"); // latest is owned by this test process (above)
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /run rcccc0000003 is being trained by process \d+ on .*: stop it first$/m);
    assert.match(ecotone("rm", "rbbb", "--dry-run").stdout, /^would remove rbbbb0000002 \(beta-lr, diverged\): 0 metric values$/m);
    assert.equal(json("ls").runs.length, 3);
    assert.deepEqual(json("rm", "rbbb").runs.map((r: any) => r.runId), ["rbbbb0000002"]);
    assert.deepEqual(json("ls").runs.map((r: any) => r.id), ["rcccc0000003", "raaaa0000001"]);
  });
});
