// `ecotone sweep` as a user meets it: a real process tree, killed with SIGKILL mid-sweep and
// started again with the same command; the exports a Python user loads.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { openStore } from "../../src/store/index.ts";
import { loadSweep } from "../../src/sweep/spec.ts";
import { runExperiment } from "../../src/train/run.ts";
import { tempDir, tinyBaseYaml } from "./_fixtures.ts";

const root = join(import.meta.dirname, "../..");
const entry = join(root, "bin/ecotone.js");
const dir = tempDir("cli");
const env = { ...process.env, CI: "1" };
const ecotone = (...args: string[]) => spawnSync(process.execPath, [entry, ...args], { encoding: "utf8", cwd: dir, env });

function specFile(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const sweepYaml = (name: string, steps: number, grid: string) => `name: ${name}\nbase:${tinyBaseYaml(steps)}\n${grid}\nseeds: 2\n`;

describe("ecotone sweep", () => {
  it("killed with SIGKILL mid-sweep and started again: no completed cell is repeated or lost", async () => {
    const spec = specFile("kill.yaml", sweepYaml("kill", 900, "grid:\n  world.distinguishability: [0, 1]\n  model.bottleneck: [0, 4]"));
    const sweepId = (await loadSweep(spec)).id;
    const db = join(dir, "kill/runs.db");
    const args = ["sweep", spec, "--store", db, "--workers", "2", "--json"];
    // Its own process group, so the kill takes the sweep and every cell process at once (kill -9 of the tree).
    const child = spawn(process.execPath, [entry, ...args], { cwd: dir, env, detached: true, stdio: "ignore" });
    const exited = new Promise((r) => child.on("exit", (code, signal) => r(signal ?? code)));
    // Poll the store read-only: kill once two cells are done and another is mid-run past a checkpoint
    // (900 steps: a cell trains in about a second, long enough for a 50 ms poll to see it mid-run).
    for (let t = 0; ; t++) {
      assert.ok(t < 1200, "the sweep made no progress in 60 s");
      await new Promise((r) => setTimeout(r, 50));
      if (!existsSync(db)) continue;
      const ro = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
      try {
        const rows = ro.prepare("SELECT c.status, r.last_step FROM sweep_cells c LEFT JOIN runs r ON r.id = c.run_id WHERE c.sweep_id = ?").all(sweepId) as { status: string; last_step: number | null }[];
        if (rows.filter((r) => r.status === "completed").length >= 2 && rows.some((r) => r.status === "running" && (r.last_step ?? 0) >= 100)) break;
      } catch {
        // tables not created yet
      } finally {
        ro.close();
      }
    }
    process.kill(-child.pid!, "SIGKILL");
    assert.equal(await exited, "SIGKILL");

    const store = await openStore(db);
    const before = await store.sweepCells(sweepId);
    const done = before.filter((c) => c.status === "completed");
    const mid = before.filter((c) => c.status === "running");
    assert.ok(done.length >= 2 && done.length < 4, `${done.length} cells completed before the kill`);
    assert.ok(mid.length >= 1, "a cell was mid-run");
    assert.equal((await store.getSweep(sweepId))!.status, "running", "a killed sweep could not record anything");
    const metricsBefore = new Map(await Promise.all(done.map(async (c) => [c.runId!, await store.metrics(c.runId!)] as const)));
    const summariesBefore = new Map(await Promise.all(done.map(async (c) => [c.runId!, (await store.getRun(c.runId!))!.summary] as const)));

    const r = ecotone(...args);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.sweepId, sweepId, "same spec, same sweep");
    assert.deepEqual([out.completed, out.failed, out.cells.length], [4, 0, 4]);
    assert.equal(out.ran + out.resumed, 4 - done.length, "only the missing cells ran");
    assert.equal(out.resumed, mid.length);
    assert.match(r.stderr, new RegExp(`${4 - done.length} of 4 cells to run`));

    const after = await store.sweepCells(sweepId);
    assert.ok(after.every((c) => c.status === "completed"));
    for (const c of done) {
      const now = after.find((x) => x.key === c.key)!;
      assert.equal(now.runId, c.runId, "a completed cell keeps its run");
      assert.deepEqual(await store.metrics(c.runId!), metricsBefore.get(c.runId!), "and its metrics");
      assert.deepEqual((await store.getRun(c.runId!))!.summary, summariesBefore.get(c.runId!));
    }
    for (const c of mid) assert.equal(after.find((x) => x.key === c.key)!.runId, c.runId, "a mid-run cell is resumed, not restarted");
    const completedRuns = (await store.listRuns({ sweepId, status: "completed" })).map((x) => x.id).sort();
    assert.deepEqual(completedRuns, after.map((c) => c.runId!).sort(), "exactly one completed run per cell");
    assert.equal((await store.listRuns({ sweepId })).length, 4, "no cell started a second run");
    assert.deepEqual(out.cells.map((c: any) => c.runIds), after.map((c) => [c.runId]));

    // The resumed run ends exactly where an uninterrupted one does.
    const resumed = mid[0]!;
    const fresh = await runExperiment(JSON.parse(resumed.specJson), { store, threads: 1 });
    const last = async (runId: string) => (await store.metrics(runId, { fromStep: 300 })).filter((p) => p.key.startsWith("perf/") && p.seed >= 0);
    assert.deepEqual(await last(resumed.runId!), await last(fresh.runId));
    await store.close();

    const again = ecotone(...args);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual([JSON.parse(again.stdout).ran, JSON.parse(again.stdout).resumed], [0, 0], "a finished sweep started again runs nothing");
  });

  it("--json prints sweepId, cells with params, label, scores, ci and run ids; CSV and JSON exports parse", () => {
    const spec = specFile("exp.yaml", sweepYaml("exp", 60, "grid:\n  world.distinguishability: [0, 1]\nzip:\n  schedule: [{ kind: mixture }, { kind: blocks, phaseSteps: 10 }]\n  train.evalEvery: [10, 30]"));
    const r = ecotone("sweep", spec, "--store", "exp/runs.db", "--workers", "2", "--json");
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout); // stdout holds the JSON object only
    assert.match(out.sweepId, /^s[0-9a-f]{11}$/);
    assert.deepEqual([out.completed, out.failed], [4, 0]);
    assert.deepEqual(out.cells.map((c: any) => c.params), [
      { "world.distinguishability": 0, schedule: { kind: "mixture" }, "train.evalEvery": 10 },
      { "world.distinguishability": 0, schedule: { kind: "blocks", phaseSteps: 10 }, "train.evalEvery": 30 },
      { "world.distinguishability": 1, schedule: { kind: "mixture" }, "train.evalEvery": 10 },
      { "world.distinguishability": 1, schedule: { kind: "blocks", phaseSteps: 10 }, "train.evalEvery": 30 },
    ]);
    for (const c of out.cells) {
      assert.equal(typeof c.label, "string");
      assert.equal(typeof c.scores, "object");
      assert.equal(typeof c.ci, "object");
      assert.match(c.runIds[0], /^r[0-9a-f]{11}$/);
      for (const e of ["A", "B"]) assert.equal(c.performance[e].n, 2);
    }
    const exp = join(dir, "exp/exports", out.sweepId);
    assert.deepEqual(out.exports.slice(0, 2), [join("exp/exports", out.sweepId, "cells.csv"), join("exp/exports", out.sweepId, "cells.json")]);
    assert.deepEqual(JSON.parse(readFileSync(join(exp, "cells.json"), "utf8")).cells, out.cells);
    assert.deepEqual(out.cells.map((c: { cell: number; index: number }) => c.cell - c.index), out.cells.map(() => 1), "cells numbered from 1, as in cells.csv");

    const [head, ...rows] = parseCsv(readFileSync(join(exp, "cells.csv"), "utf8"));
    assert.deepEqual(head!.slice(0, 6), ["cell", "world.distinguishability", "schedule", "train.evalEvery", "status", "label"]);
    assert.equal(rows.length, 4);
    const col = (name: string) => rows.map((row) => row[head!.indexOf(name)]);
    assert.deepEqual(col("world.distinguishability"), ["0", "0", "1", "1"]);
    assert.deepEqual(col("schedule"), ['{"kind":"mixture"}', '{"kind":"blocks","phaseSteps":10}', '{"kind":"mixture"}', '{"kind":"blocks","phaseSteps":10}']);
    assert.deepEqual(col("label"), out.cells.map((c: any) => c.label));
    assert.deepEqual(col("run_ids"), out.cells.map((c: any) => c.runIds[0]));
    assert.deepEqual(col("acc.A.mean").map(Number), out.cells.map((c: any) => c.performance.A.mean));
    for (const row of rows) assert.equal(row.length, head!.length);

    if (out.exports.length > 2) { // the phase diagram, when src/plots can draw it
      assert.match(readFileSync(join(exp, "phase-diagram.svg"), "utf8"), /^<svg/);
      assert.deepEqual([...readFileSync(join(exp, "phase-diagram.png")).subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    }
  });

  it("rejects a misspelt grid path before anything is written, naming the nearest valid path", () => {
    const spec = specFile("bad.yaml", sweepYaml("bad", 60, "grid:\n  world.distinguishibility: [0, 1]"));
    const r = ecotone("sweep", spec, "--store", "bad/runs.db");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /grid: unknown path world\.distinguishibility \(did you mean world\.distinguishability\?\)/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
    assert.equal(existsSync(join(dir, "bad")), false);
  });
});

/** RFC 4180: quoted fields may hold commas and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { row.push(field); field = ""; }
    else if (ch === "\n") { row.push(field); rows.push(row); row = []; field = ""; }
    else field += ch;
  }
  return rows;
}
