// Any stored metric shows in the report, a plugin's too: without a descriptor under its key and
// group, with a stored descriptor under its title. From runs written straight into a store.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runFigures } from "../../src/report/figures.ts";
import { runOverview } from "../../src/report/overview.ts";
import { reportHtml } from "../../src/report/report.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { customScore, fabricateRun, PHASES } from "./_fixtures.ts";

let store: Store;
const MINE = [{ key: "custom/score", title: "My score", range: [0, 1] as [number, number], headline: true, panel: "custom" }];
before(async () => {
  store = await openStore(":memory:");
  await fabricateRun(store, "rplain000001");
  await fabricateRun(store, "rmine0000001", MINE);
});
after(() => store.close());

const figureIds = async (id: string) => {
  const run = (await store.getRun(id))!;
  return runFigures(await store.metrics(id), PHASES, run.metrics).map((f) => f.id);
};
const mean40 = ((customScore(40, 0) + customScore(40, 1)) / 2).toFixed(3);

describe("a stored key no descriptor describes", () => {
  it("gets a figure of its group, after the built-in ones", async () => {
    assert.deepEqual(await figureIds("rplain000001"), ["performance", "matrix", "behaviour", "custom"]);
  });

  it("is in the overview headline and in the report, figure and table", async () => {
    const run = (await store.getRun("rplain000001"))!;
    const ov = runOverview(run, await store.metrics(run.id));
    assert.deepEqual(ov.headline.map((h) => h.key), ["behav/cond", "behav/churn", "custom/score"]);
    const html = await reportHtml(store, run.id);
    assert.match(html, /<figure id="fig-custom" data-figure="custom"><svg[\s\S]*?aria-roledescription="line mark"[\s\S]*?<\/svg><figcaption>custom<\/figcaption>/);
    assert.ok(html.includes(`<td>custom/score</td><td><code>custom/score</code></td><td>${mean40} ± `), "headline row");
  });
});

describe("a stored descriptor", () => {
  it("titles the overview headline, the report's table and the figure's legend", async () => {
    const run = (await store.getRun("rmine0000001"))!;
    assert.deepEqual(run.metrics, MINE);
    const ov = runOverview(run, await store.metrics(run.id));
    assert.deepEqual(ov.headline.find((h) => h.key === "custom/score")!.title, "My score");
    const html = await reportHtml(store, run.id);
    assert.ok(html.includes(`<td>My score</td><td><code>custom/score</code></td><td>${mean40} ± `), "headline row");
    const fig = /<figure id="fig-custom"[^>]*>(<svg[\s\S]*?<\/svg>)/.exec(html)![1]!;
    assert.match(fig, />My score<\/text>/, "legend and y title");
  });
});
