// The API shows any stored metric, a plugin's too, with its descriptor: in the run, its raw
// points, its figures and compare; and it hands the browser the class vocabulary rather than
// the browser keeping a copy. From runs written straight into a store (no training).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startDashboard, type Dashboard } from "../../src/dashboard/server.ts";
import { CLASSES, LABEL_CODES } from "../../src/metrics/classify.ts";
import { CLASS_COLORS } from "../../src/plots/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { fabricateRun } from "../report/_fixtures.ts";
import { get } from "./_client.ts";

let store: Store;
let ui: Dashboard;
const json = async (path: string, status = 200) => {
  const r = await get(ui.url, path);
  assert.equal(r.status, status, `${path}: ${r.body}`);
  return r.json();
};
const MINE = { key: "custom/score", title: "My score", range: [0, 1] as [number, number], headline: true, panel: "custom" };

before(async () => {
  store = await openStore(":memory:");
  await fabricateRun(store, "rplain000001");
  await fabricateRun(store, "rmine0000001", [MINE]);
  ui = await startDashboard({ store, port: 0, log: () => {} });
});
after(async () => {
  await ui.close();
  await store.close();
});

describe("a stored key no descriptor describes", () => {
  it("is described in the run and its points, by a plain descriptor", async () => {
    const { run, metrics, overview } = await json("/api/runs/rplain000001");
    assert.equal(run.metrics, undefined, "the descriptors go out once, for the keys present");
    assert.deepEqual(metrics.map((d: any) => d.key), ["perf/acc:A", "perf/acc:B", "behav/cond", "behav/churn", "custom/score"]);
    assert.deepEqual(metrics.at(-1), { key: "custom/score", title: "custom/score", panel: "custom" });
    assert.ok(overview.headline.some((h: any) => h.key === "custom/score"));
    const raw = await json("/api/runs/rplain000001/metrics?keys=custom/score");
    assert.equal(raw.points.length, 6);
    assert.deepEqual(raw.metrics.map((d: any) => d.key), ["custom/score"]);
  });

  it("gets a figure with data", async () => {
    const { figures } = await json("/api/runs/rplain000001/figures");
    assert.deepEqual(figures.map((f: any) => f.id), ["performance", "matrix", "behaviour", "custom"]);
    const custom = figures.at(-1).spec;
    assert.ok(custom.data.some((d: any) => Array.isArray(d.values) && d.values.some((v: any) => v.label === "custom/score")));
  });

  it("can be compared, and is offered among every metric the runs have", async () => {
    const all = await json("/api/compare?runs=rplain000001,rmine0000001");
    assert.ok(all.available.includes("custom/score"));
    assert.deepEqual(all.metrics.map((d: any) => d.key), all.available);
    assert.equal(all.metrics.find((d: any) => d.key === "custom/score").title, "My score", "a run's stored descriptor beats a plain one");
    const one = await json("/api/compare?runs=rmine0000001,rplain000001&keys=custom/score");
    assert.deepEqual(one.keys, ["custom/score"]);
    assert.ok(one.figure.marks.length > 0);
    assert.equal(one.metrics.find((d: any) => d.key === "custom/score").title, "My score");
    assert.match((await json("/api/compare?runs=rplain000001&keys=custom/nothing", 400)).error, /no run has metric custom\/nothing/);
  });
});

describe("a stored descriptor", () => {
  it("describes its key in the run and titles its headline", async () => {
    const { metrics, overview } = await json("/api/runs/rmine0000001");
    assert.deepEqual(metrics.at(-1), MINE);
    assert.equal(overview.headline.find((h: any) => h.key === "custom/score").title, "My score");
  });
});

describe("classes", () => {
  it("serves the class vocabulary and its colours", async () => {
    assert.deepEqual(await json("/api/classes"), { classes: [...CLASSES], labels: [...LABEL_CODES], colors: CLASS_COLORS });
  });
});
