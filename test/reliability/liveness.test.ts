// A process killed with SIGKILL cannot say it stopped. Its run is seen as stale (the dashboard,
// the report), a live owner keeps every other process from training the same run, and --resume
// (or the next `ecotone sweep`, for a cell) takes a stale run over and finishes it.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startDashboard } from "../../src/dashboard/server.ts";
import { openStore } from "../../src/store/index.ts";
import { events, get } from "../dashboard/_client.ts";
import { ecotone, ecotoneBg, leaksStack, peek, scratch, spec, specFile, until } from "./_cli.ts";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const dir = () => { const d = scratch("live"); dirs.push(d); return d; };

describe("a run whose process was killed (kill -9)", () => {
  it("is stale in the store, the dashboard and the report; a second trainer is refused; --resume takes it over", { timeout: 90_000 }, async () => {
    const cwd = dir();
    const db = join(cwd, "runs.db");
    const first = ecotoneBg(cwd, ["run", specFile(cwd, "long", spec("long", 2500, ", engine: jax")), "--store", db, "--threads", "1"]);
    let id = "";
    await until("the first checkpoints", async () => existsSync(db) && peek(db, async (s) => {
      const run = (await s.listRuns())[0];
      id = run?.id ?? "";
      return run !== undefined && ((await s.lastStep(run.id)) ?? 0) >= 60;
    }));
    assert.equal(await peek(db, async (s) => (await s.getRun(id))!.status), "running");

    // Its owner is alive: a second process may not train it.
    const busy = ecotone(cwd, "run", "--resume", id, "--store", db);
    assert.equal(busy.status, 1, busy.stderr);
    assert.match(busy.stderr, new RegExp(`run ${id} is being trained by process ${first.child.pid} on \\S+: wait for it to finish, or stop it, then resume`));
    assert.ok(!leaksStack(busy.stderr));

    first.child.kill("SIGKILL");
    assert.equal(await first.exit, "SIGKILL");
    const kept = await peek(db, async (s) => {
      const run = (await s.getRun(id))!;
      assert.equal(run.status, "stale");
      assert.match(run.owner ?? "", new RegExp(`/${first.child.pid}/`));
      return (await s.lastStep(id))!;
    });

    const rep = ecotoneBg(cwd, ["report", id, "--store", db, "-o", "r.html"]); // meanwhile
    // The dashboard: listed stale, shown stale, and its live stream ends at once.
    const reader = await openStore(db, { readonly: true });
    const ui = await startDashboard({ store: reader, port: 0, pollMs: 50, log: () => {} });
    try {
      const list = (await get(ui.url, "/api/runs")).json();
      assert.equal(list.runs.find((r: any) => r.id === id).status, "stale");
      assert.equal((await get(ui.url, `/api/runs/${id}`)).json().run.status, "stale");
      const stream = events(ui.url, `/api/runs/${id}/live`);
      assert.deepEqual(await stream.next("end"), { step: kept, status: "stale" });
      stream.close();
    } finally {
      await ui.close();
      await reader.close();
    }

    // The report says so, with how to resume.
    assert.equal(await rep.exit, 0, rep.stderr());
    assert.match(rep.stderr(), new RegExp(`run ${id} is stale: its process \\(process ${first.child.pid} on \\S+\\) is gone; resume it with: ecotone run --resume ${id} --store ${db}`));
    assert.match(readFileSync(join(cwd, "r.html"), "utf8"), />stale</);

    // Two processes resume it at once: one takes it over and finishes it, the other is refused.
    const [a, b] = [ecotoneBg(cwd, ["run", "--resume", id, "--store", db, "--json"]), ecotoneBg(cwd, ["run", "--resume", id, "--store", db, "--json"])];
    const codes = [await a.exit, await b.exit];
    const winner = codes[0] === 0 ? a : b, loser = codes[0] === 0 ? b : a;
    assert.deepEqual([...codes].sort(), [0, 1], `${a.stderr()}\n${b.stderr()}`);
    assert.match(loser.stderr(), new RegExp(`run ${id} is being trained by process ${winner.child.pid}`));
    const done = JSON.parse(winner.stdout());
    assert.deepEqual([done.status, done.lastStep], ["completed", 2500]);
    await peek(db, async (s) => {
      const run = (await s.getRun(id))!;
      assert.deepEqual([run.status, run.owner], ["completed", null]);
      const steps = new Set((await s.metrics(id)).map((p) => p.step));
      assert.equal(steps.size, 2500 / 20 + 1, "every checkpoint once, none lost");
    });
  });
});

describe("a sweep killed with kill -9", () => {
  it("leaves its cells' runs stale; the next `ecotone sweep` resumes them and finishes", { timeout: 90_000 }, async () => {
    const cwd = dir();
    const db = join(cwd, "runs.db");
    const sweep = specFile(cwd, "sweep", `name: rel-sweep
base:
  world: { content: 12, cue: 4, classes: 4 }
  envs: [{ name: A, objective: sft }, { name: B, objective: sft }]
  schedule: { kind: blocks, phaseSteps: 20 }
  model: { hidden: [16] }
  train: { steps: 800, evalEvery: 20, batch: 16, probes: 32 }
grid:
  world.distinguishability: [0, 1]
seeds: 2
`);
    const first = ecotoneBg(cwd, ["sweep", sweep, "--store", db, "--workers", "2"], { detached: true });
    await until("a cell's first checkpoints", async () => existsSync(db) && peek(db, async (s) => {
      for (const r of await s.listRuns()) if (((await s.lastStep(r.id)) ?? 0) >= 40) return true;
      return false;
    }));
    process.kill(-first.child.pid!, "SIGKILL"); // the sweep and its cell processes, as `kill -9 -PGID`
    await first.exit;
    await until("the cell processes to be gone", () => peek(db, async (s) => (await s.listRuns()).every((r) => r.status !== "running")), 10_000);
    const stale = await peek(db, async (s) => (await s.listRuns({ status: "stale" })).map((r) => r.id));
    assert.ok(stale.length >= 1, "a killed cell's run is stale");

    const again = ecotone(cwd, "sweep", sweep, "--store", db, "--workers", "2", "--json");
    assert.equal(again.status, 0, again.stderr);
    const out = JSON.parse(again.stdout);
    assert.ok(out.resumed >= stale.length, `resumed ${out.resumed} of ${stale.length} stale runs`);
    await peek(db, async (s) => {
      const runs = await s.listRuns();
      assert.deepEqual(runs.map((r) => r.status), ["completed", "completed"], "no run lost, none trained twice");
      for (const id of stale) assert.ok(runs.some((r) => r.id === id), `stale run ${id} was finished, not replaced`);
    });
  });
});
