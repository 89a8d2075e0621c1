// The read-only JSON API against a real run and sweep: lists and filters, run and sweep views,
// figures, compare, live events from a run written by another connection, and errors that are
// replies (404, 400, 405, 403), never crashes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { after, before, describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { startDashboard, type Dashboard } from "../../src/dashboard/server.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { events, get } from "./_client.ts";
import { makeLab, replayRun, type Lab } from "./_fixtures.ts";

let lab: Lab;
let reader: Store; // the server's own connection, as in `ecotone ui` beside a training process
let ui: Dashboard;
const json = async (path: string, status = 200) => {
  const r = await get(ui.url, path);
  assert.equal(r.status, status, `${path}: ${r.body}`);
  assert.match(String(r.headers["content-type"]), /^application\/json/);
  return r.json();
};

before(async () => {
  lab = await makeLab("api");
  reader = await openStore(lab.path);
  ui = await startDashboard({ store: reader, port: 0, pollMs: 50, log: () => {} });
});
after(async () => {
  await ui.close();
  await reader.close();
  await lab.close();
});

describe("runs", () => {
  it("lists runs newest first with the spec fields, class and filter facets", async () => {
    const { runs, facets, total } = await json("/api/runs");
    assert.equal(total, 5, "the run and four sweep cells");
    assert.equal(runs.at(-1).id, lab.runId, "oldest last");
    const run = runs.find((r: any) => r.id === lab.runId);
    assert.deepEqual([run.name, run.status, run.schedule, run.distinguishability, run.envs], ["lab-run", "completed", "blocks", 1, ["A", "B"]]);
    assert.ok(["ecological-generalist", "conditional-policy", "strategy-churn", "unresolved"].includes(run.class));
    assert.deepEqual(facets.schedule, ["blocks"]);
    assert.deepEqual(facets.distinguishability, ["0", "1"]);
    assert.deepEqual(facets.status, ["completed"]);
  });

  const cases: [string, (r: any) => boolean][] = [
    ["name=LAB-S", (r) => r.name === "lab-sweep"],
    ["distinguishability=0", (r) => r.distinguishability === 0],
    ["status=completed&schedule=blocks", () => true],
    ["status=running", () => false],
  ];
  for (const [q, keep] of cases) {
    it(`filters by ${q}`, async () => {
      const all = (await json("/api/runs")).runs;
      const got = (await json(`/api/runs?${q}`)).runs.map((r: any) => r.id);
      assert.deepEqual(got, all.filter(keep).map((r: any) => r.id));
    });
  }

  it("filters by class, and refuses an unknown filter by name", async () => {
    const all = (await json("/api/runs")).runs;
    const cls = all[0].class ?? "none"; // "none": a run without a stored class
    assert.deepEqual((await json(`/api/runs?class=${cls}`)).runs.map((r: any) => r.id), all.filter((r: any) => (r.class ?? "none") === cls).map((r: any) => r.id));
    assert.match((await json("/api/runs?colour=red", 400)).error, /unknown filter: colour/);
    for (const k of ["toString", "__proto__", "constructor"]) assert.match((await json(`/api/runs?${k}=x`, 400)).error, /unknown filter/);
  });

  it("shows a run with its spec, phases, and class with confidence interval, also by id prefix", async () => {
    const { run, overview, phases } = await json(`/api/runs/${lab.runId}`);
    assert.equal(run.spec.schedule.phaseSteps, 40);
    assert.equal(run.specJson, undefined, "the spec goes out parsed, once");
    assert.deepEqual(phases.slice(0, 2), [{ start: 0, end: 40, env: "A" }, { start: 40, end: 80, env: "B" }]);
    assert.equal(overview.step, 160);
    assert.deepEqual(overview.performance.map((p: any) => p.env), ["A", "B", "N1"]);
    const c = overview.classification;
    assert.equal(c.source, "summary");
    for (const k of ["ecological-generalist", "conditional-policy", "strategy-churn"]) {
      assert.ok(c.ci[k].lo <= c.scores[k] && c.scores[k] <= c.ci[k].hi, `${k} inside its interval`);
    }
    assert.equal((await json(`/api/runs/${lab.runId.slice(0, 6)}`)).run.id, lab.runId);
  });

  it("gives raw metric points, by keys and from a step", async () => {
    const { points } = await json(`/api/runs/${lab.runId}/metrics?keys=perf/acc:A,behav/cond&from=120`);
    assert.deepEqual([...new Set(points.map((p: any) => p.key))].sort(), ["behav/cond", "perf/acc:A"]);
    assert.deepEqual([...new Set(points.map((p: any) => p.step))], [120, 140, 160]);
    assert.equal(points.filter((p: any) => p.step === 160 && p.key === "perf/acc:A").length, 4, "one per seed");
    assert.match((await json(`/api/runs/${lab.runId}/metrics?from=x`, 400)).error, /from must be an integer/);
  });

  it("describes the keys the run has", async () => {
    const { metrics } = await json(`/api/runs/${lab.runId}`);
    const acc = metrics.filter((d: any) => d.key.startsWith("perf/acc:"));
    assert.deepEqual(acc.map((d: any) => [d.key, d.title, d.range]), ["A", "B", "N1"].map((e) => [`perf/acc:${e}`, `accuracy on ${e}`, [0, 1]]));
    assert.ok(metrics.every((d: any) => typeof d.title === "string"));
  });

  it("gives the run's figures as compiled vega specs with data", async () => {
    const f = await json(`/api/runs/${lab.runId}/figures`);
    const ids = f.figures.map((x: any) => x.id);
    assert.deepEqual(ids.slice(0, 2), ["performance", "matrix"]);
    for (const id of ["behaviour", "class-scores", "routing-cue-decodability-selectivity-mask-overlap"]) assert.ok(ids.includes(id), id);
    for (const x of f.figures) {
      assert.ok(Array.isArray(x.spec.marks) && x.spec.marks.length > 0, `${x.id} has marks`);
      assert.ok(x.spec.data.some((d: any) => Array.isArray(d.values) && d.values.length > 0), `${x.id} carries data`);
    }
    assert.equal(f.lastStep, 160);
  });
});

describe("sweeps", () => {
  it("lists sweeps and shows one with its cells, runs and phase diagram", async () => {
    const { sweeps } = await json("/api/sweeps");
    assert.deepEqual(sweeps.map((s: any) => [s.id, s.cells, s.completed]), [[lab.sweepId, 4, 4]]);
    const { sweep, diagram } = await json(`/api/sweeps/${lab.sweepId}`);
    assert.equal(sweep.cells.length, 4);
    assert.deepEqual(diagram.axes, { x: "world.distinguishability", y: "model.bottleneck" });
    assert.ok(diagram.spec.marks.length > 0);
    assert.equal(diagram.placements.length, 4);
    for (const p of diagram.placements) {
      const cell = sweep.cells[p.index];
      assert.deepEqual(p.runIds, cell.runIds);
      assert.equal(p.x, String(cell.params["world.distinguishability"]));
      assert.equal(p.y, String(cell.params["model.bottleneck"]));
    }
  });
});

describe("compare", () => {
  it("draws two runs on the same axes, accuracy and behaviour by default", async () => {
    const cells = (await json(`/api/runs?sweep=${lab.sweepId}`)).runs.map((r: any) => r.id);
    const c = await json(`/api/compare?runs=${lab.runId},${cells[0]}`);
    assert.deepEqual(c.runs.map((r: any) => r.id), [lab.runId, cells[0]]);
    const behaviour = (await json(`/api/runs/${lab.runId}`)).metrics.filter((d: any) => d.panel === "behaviour").map((d: any) => d.key);
    assert.ok(behaviour.includes("behav/cond") && behaviour.includes("behav/churn"));
    assert.deepEqual(c.keys, ["perf/acc:A", "perf/acc:B", "perf/acc:N1", ...behaviour]);
    assert.ok(c.available.includes("route/conflict"));
    assert.deepEqual(c.metrics.map((d: any) => d.key), c.available, "a descriptor per metric offered");
    assert.ok(c.figure.marks.length > 0);
    const one = await json(`/api/compare?runs=${lab.runId},${cells[0]}&keys=route/conflict`);
    assert.deepEqual(one.keys, ["route/conflict"]);
  });

  it("refuses what it cannot draw", async () => {
    assert.match((await json("/api/compare", 400)).error, /give runs=/);
    assert.match((await json(`/api/compare?runs=${lab.runId}&keys=perf/acc:Z`, 400)).error, /no run has metric perf\/acc:Z/);
    assert.match((await json(`/api/compare?runs=${lab.runId},rnope0000000`, 404)).error, /no run rnope0000000/);
  });
});

describe("errors are replies", () => {
  const notFound = ["/api/runs/rnope0000000", "/api/runs/rnope0000000/figures", "/api/runs/rnope0000000/metrics", "/api/runs/rnope0000000/live",
    "/api/sweeps/snope", "/api/sweeps/..%2f..%2fetc%2fpasswd", "/api/runs/%2e%2e", "/api/nothing", "/api", "/api/runs/x/y/z/w"];
  for (const path of notFound) it(`404 JSON for ${path}`, async () => assert.ok((await json(path, 404)).error));

  it("400 for a malformed escape and for an ambiguous id prefix", async () => {
    assert.match((await json("/api/runs/%E0%A4%A", 400)).error, /malformed path segment/);
    for (const id of ["rdup00000001", "rdup00000002"]) {
      await lab.store.createRun({ id, name: "dup", specJson: "{}", specHash: "x", seeds: 1, steps: 1, volatility: 0, envs: ["A"] });
    }
    assert.match((await json("/api/runs/rdup0", 400)).error, /ambiguous/);
    assert.equal((await json("/api/runs/rdup00000001")).run.schedule, null, "a spec without the fields is shown, not a crash");
  });

  it("is read-only: other methods get 405; HEAD works", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await get(ui.url, "/api/runs", { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, "GET, HEAD");
    }
    const head = await get(ui.url, "/api/runs", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
  });

  it("answers only to loopback names (DNS rebinding)", async () => {
    assert.equal((await get(ui.url, "/api/runs", { headers: { Host: "evil.example:80" } })).status, 403);
    assert.equal((await get(ui.url, "/api/runs", { headers: { Host: `localhost:${ui.port}` } })).status, 200);
  });
});

describe("live", () => {
  it("streams a checkpoint event for each checkpoint written by another connection, then ends", async () => {
    const replay = await replayRun(lab.store, lab.runId, "rlive00000001");
    await replay.write();
    const stream = events(ui.url, `/api/runs/${replay.id}/live`);
    assert.deepEqual(await stream.next("checkpoint"), { step: 0, status: "running" });
    const step = await replay.write();
    assert.deepEqual(await stream.next("checkpoint"), { step, status: "running" });
    await replay.finish();
    assert.deepEqual(await stream.next("end"), { step, status: "completed" });
    stream.close();
  });

  it("a run whose process is gone is shown stale, in the list and its view, and its stream ends", async () => {
    const replay = await replayRun(lab.store, lab.runId, "rstale000001");
    await replay.write();
    const stream = events(ui.url, `/api/runs/${replay.id}/live`);
    assert.deepEqual(await stream.next("checkpoint"), { step: 0, status: "running" });
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid; // the owner was killed (kill -9): its pid is free
    const db = new BetterSqlite3(lab.path);
    db.prepare("UPDATE runs SET owner = ? WHERE id = ?").run(`${hostname()}/${gone}/0`, replay.id);
    db.close();
    assert.deepEqual(await stream.next("end"), { step: 0, status: "stale" });
    assert.equal((await json("/api/runs")).runs.find((r: any) => r.id === replay.id).status, "stale");
    assert.deepEqual((await json("/api/runs?status=stale")).runs.map((r: any) => r.id), [replay.id]);
    assert.equal((await json(`/api/runs/${replay.id}`)).run.status, "stale");
    assert.equal((await json(`/api/runs/${replay.id}/figures`)).status, "stale");
    stream.close();
  });

  it("a finished run's stream says so at once and closes", async () => {
    const stream = events(ui.url, `/api/runs/${lab.runId}/live`);
    assert.deepEqual(await stream.next("end"), { step: 160, status: "completed" });
  });
});
