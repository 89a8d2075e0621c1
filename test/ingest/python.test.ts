// Runs ecotone never saw, written by the standard-library Python writer (a scripted "model" whose
// answers follow a known pattern): ingested, classified with bootstrap intervals over seeds, and
// shown like any run by the dashboard's API, the report and the exports.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startDashboard, type Dashboard } from "../../src/dashboard/server.ts";
import { ingest } from "../../src/ingest/index.ts";
import { reportHtml } from "../../src/report/report.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { get } from "../dashboard/_client.ts";
import { python, scripted, tempDir } from "./_fixtures.ts";

// pattern, how the records say it, the class it must get
const cases: [string, string[], string][] = [
  ["churn", ["--answers", "logprobs"], "strategy-churn"],
  ["conditional", ["--answers", "answer", "--csv"], "conditional-policy"],
  ["generalist", ["--answers", "agreement", "--files", "per-seed", "--gzip"], "ecological-generalist"],
];

describe("a probe log from the Python writer", { skip: python ? false : "no python3 on this machine" }, () => {
  let dir: string, path: string, store: Store;
  const runs: Record<string, string> = {};
  before(async () => {
    dir = tempDir("python");
    path = join(dir, "runs.db");
    store = await openStore(path);
    for (const [pattern, args] of cases) {
      const r = await ingest(scripted(join(dir, pattern), ["--pattern", pattern, ...args]), { store });
      runs[pattern] = r.summary.runId;
    }
  });
  after(() => store.close());

  for (const [pattern, args, label] of cases)
    it(`classifies the scripted ${pattern} pattern (${args.join(" ")}) as ${label}, its interval clear of the others`, async () => {
      const run = (await store.getRun(runs[pattern]!))!;
      assert.equal(run.status, "completed");
      const c = (run.summary as any).classification;
      assert.equal(c.label, label);
      assert.equal(c.n, 4);
      for (const k of Object.keys(c.ci)) {
        assert.ok(c.ci[k].lo <= c.scores[k] && c.scores[k] <= c.ci[k].hi, `${k} inside its interval`);
        if (k !== label) assert.ok(c.ci[label].lo > c.ci[k].hi, `${label} above ${k}`);
      }
      assert.ok(c.ci[label].hi > c.ci[label].lo, "seeds differ: the interval has a width");
      // the run-level label is stored at every checkpoint, as a trained run's
      const labels = (await store.metrics(run.id, { keys: ["class/label"] })).filter((p) => p.seed === -1);
      assert.equal(labels.length, 25, "one per checkpoint");
    });

  it("marks the run as ingested in its stored spec and summary, naming the metrics a log cannot feed", async () => {
    const run = (await store.getRun(runs.churn!))!;
    const spec = JSON.parse(run.specJson);
    assert.equal(spec.ingested.format, "ecotone-probe-log/1");
    assert.match(spec.ingested.manifest, /churn\/manifest\.json$/);
    assert.equal(spec.schedule.kind, "blocks");
    const s = run.summary as any;
    assert.equal(s.ingested.records, 4 * 25 * 12 * 2);
    const skipped = s.ingested.skipped.map((k: any) => k.metric);
    for (const m of ["routing", "conflict", "representation", "train-loss"]) assert.ok(skipped.includes(m), `${m} skipped`);
    assert.ok(!skipped.includes("behaviour") && !skipped.includes("continual"));
    assert.deepEqual(run.envs, ["helpful", "terse"]);
    assert.ok(run.metrics.some((d) => d.key === "behav/churn"), "descriptors stored with the run");
    assert.ok(!run.metrics.some((d) => d.key.startsWith("route/")), "no descriptor for a skipped metric");
  });

  it("is shown by the dashboard's API like a trained run: the run, its class with interval, its figures", async () => {
    const reader = await openStore(path);
    const ui: Dashboard = await startDashboard({ store: reader, port: 0, log: () => {} });
    try {
      const one = await get(ui.url, `/api/runs/${runs.conditional}`);
      assert.equal(one.status, 200, one.body);
      const { run, overview, phases } = one.json();
      assert.equal(run.spec.ingested.format, "ecotone-probe-log/1");
      assert.equal(run.schedule, "blocks");
      assert.deepEqual(phases.slice(0, 2), [{ start: 0, end: 200, env: "helpful" }, { start: 200, end: 400, env: "terse" }]);
      assert.equal(overview.step, 1200);
      assert.equal(overview.classification.label, "conditional-policy");
      assert.equal(overview.classification.source, "summary");
      assert.deepEqual(overview.performance.map((p: any) => p.env), ["helpful", "terse"]);
      const figs = await get(ui.url, `/api/runs/${runs.conditional}/figures`);
      assert.equal(figs.status, 200, figs.body);
      const ids = figs.json().figures.map((f: any) => f.id);
      for (const id of ["performance", "matrix", "behaviour", "class-scores"]) assert.ok(ids.includes(id), `figure ${id} in ${ids.join(", ")}`);
      const list = (await get(ui.url, "/api/runs")).json();
      assert.equal(list.runs.find((r: any) => r.id === runs.generalist).class, "ecological-generalist");
    } finally {
      await ui.close();
      await reader.close();
    }
  });

  it("writes the report with the class and its interval", async () => {
    const html = await reportHtml(store, runs.churn!);
    assert.match(html, /strategy-churn/);
    assert.match(html, /ecotone-probe-log\/1/);
  });

  it("stores a Hugging Face trainer_state.json's curves at seed −1, described and drawn beside the probe metrics", async () => {
    const state = join(dir, "trainer_state.json");
    const log_history = [
      ...Array.from({ length: 12 }, (_, k) => ({ step: (k + 1) * 100, epoch: k / 12, loss: 2 - k / 10, learning_rate: 1e-5, grad_norm: 1.5, "rewards/margins": k / 20 })),
      { step: 1200, train_runtime: 12.5, train_loss: 1.4 }, // end-of-training totals: not curves
    ];
    writeFileSync(state, JSON.stringify({ global_step: 1200, log_history }));
    const r = await ingest(join(dir, "churn", "manifest.json"), { store, trainerState: state, again: true });
    const points = await store.metrics(r.summary.runId, { keys: ["hf/loss", "hf/rewards/margins", "hf/train_runtime"] });
    assert.equal(points.filter((p) => p.key === "hf/loss").length, 12);
    assert.ok(points.every((p) => p.seed === -1 && p.key !== "hf/train_runtime"));
    assert.equal(points.find((p) => p.key === "hf/loss" && p.step === 300)!.value, 1.8);
    const run = (await store.getRun(r.summary.runId))!;
    assert.equal(run.metrics.find((d) => d.key === "hf/loss")!.panel, "Hugging Face: loss");
    assert.equal((await store.metrics(r.summary.runId, { keys: ["class/label"] })).length, 25, "the probe checkpoints are all still there");
    const reader = await openStore(path);
    const ui = await startDashboard({ store: reader, port: 0, log: () => {} });
    try {
      const ids = (await get(ui.url, `/api/runs/${r.summary.runId}/figures`)).json().figures.map((f: any) => f.id);
      for (const id of ["hugging-face-loss", "hugging-face-rewards", "hugging-face-learning-rate"]) assert.ok(ids.includes(id), `${id} in ${ids.join(", ")}`);
    } finally {
      await ui.close();
      await reader.close();
    }
  });

  it("finds a completed ingest of the same manifest instead of storing it twice; --again stores a new run", async () => {
    const before = (await store.listRuns()).length;
    const again = await ingest(join(dir, "churn", "manifest.json"), { store });
    assert.equal(again.reused, true);
    assert.equal((await store.listRuns()).length, before);
    const fresh = await ingest(join(dir, "churn", "manifest.json"), { store, again: true });
    assert.notEqual(fresh.summary.runId, runs.churn);
    assert.equal(fresh.summary.classification?.label, "strategy-churn");
  });

  it("links weighted-sum baselines: each ingested as its own run, the main run measured against them (ws/*, mature/level)", async () => {
    const edit = (path: string, f: (m: any) => void) => { const m = JSON.parse(readFileSync(path, "utf8")); f(m); writeFileSync(path, JSON.stringify(m)); return path; };
    const steps = 1200;
    edit(scripted(join(dir, "bl-mixture"), ["--pattern", "generalist"]), (m) => { m.name = "bl/mixture"; m.schedule = { kind: "mixture", steps, phases: [{ env: "mixture", start: 0, end: steps }] }; });
    for (const env of ["helpful", "terse"])
      edit(scripted(join(dir, `bl-${env}`), ["--pattern", "conditional"]), (m) => { m.name = `bl/specialist:${env}`; m.schedule = { steps, phases: [{ env, start: 0, end: steps }] }; });
    const main = edit(scripted(join(dir, "bl-main"), ["--pattern", "churn"]), (m) => {
      m.name = "bl/main";
      m.baselines = { mixture: "../bl-mixture/manifest.json", specialists: { helpful: "../bl-helpful/manifest.json", terse: "../bl-terse/manifest.json" } };
    });
    const r = await ingest(main, { store });
    const s = r.summary as any;
    assert.equal(s.classification.label, "strategy-churn");
    const ids = s.ingested.baselines;
    assert.deepEqual(Object.keys(ids.specialists), ["helpful", "terse"]);
    assert.equal((await store.getRun(ids.mixture))!.name, "bl/mixture");
    assert.ok(Number.isFinite(s.final["ws/jsMixture"].mean) && Number.isFinite(s.final["ws/vsSpecialist:terse"].mean));
    assert.ok(s.final["ws/vsSpecialist:helpful"].mean < -0.5, "the churning model is far below the specialist on the environment it just left");
    assert.ok(Number.isFinite(s.final["mature/level:helpful"].mean), "maturity reads the specialists' gain");
    const again = await ingest(main, { store, again: true }); // the baselines are reused, not stored twice
    assert.deepEqual((again.summary as any).ingested.baselines, ids);
  });
});
