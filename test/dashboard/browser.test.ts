// End to end in a real browser: Debian's Chromium driven by playwright-core against a real run
// and sweep. Each plot must be drawn with data (marks counted in the SVG, legends naming the
// environments), the live view must pick up a checkpoint written while the page is open, and a
// click on a phase-diagram cell must open its run. Screenshots go to test-output/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startDashboard, type Dashboard } from "../../src/dashboard/server.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { makeLab, replayRun, type Lab } from "./_fixtures.ts";

const CHROMIUM = process.env.ECOTONE_CHROMIUM ?? "/usr/bin/chromium"; // Debian's; another Chromium works too
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SHOTS = "test-output";
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: install Debian's Chromium (apt-get install -y chromium) to run the browser tests`;

type Pw = typeof import("playwright-core");
let lab: Lab, reader: Store, ui: Dashboard;
let browser: Awaited<ReturnType<Pw["chromium"]["launch"]>>;
let page: Awaited<ReturnType<typeof browser.newPage>>;
const errors: string[] = []; // page errors and console errors, checked at the end

/** Counts of what a figure drew: vega's SVG renderer keeps one element per mark (or per series). */
const marks = (figure: string) => page.$eval(`figure[data-figure="${figure}"]`, (el) => ({
  lines: [...el.querySelectorAll(".mark-line path")].filter((p) => (p.getAttribute("d") ?? "").length > 20).length,
  areas: el.querySelectorAll(".mark-area path").length,
  rects: el.querySelectorAll(".mark-rect path").length,
  rules: el.querySelectorAll(".mark-rule line").length,
  legend: [...el.querySelectorAll(".role-legend-label text")].map((t) => t.textContent),
}));

/** Waits until the page for `hash` is drawn (not the page it replaces: hash routes swap in place). */
const ready = (hash: string) => page.waitForSelector(`section[data-route="${hash}"][data-ready]`, { timeout: 10_000 });
const open = async (hash: string) => {
  await page.goto(ui.url + hash);
  await ready(hash);
};

// Each test carries the skip (not only the suite), so a run without a browser counts them as skipped.
describe("dashboard in Chromium", () => {
  before(async () => {
    if (skip) return;
    const { chromium } = (await import("playwright-core")) as Pw;
    mkdirSync(SHOTS, { recursive: true });
    lab = await makeLab("browser");
    reader = await openStore(lab.path);
    ui = await startDashboard({ store: reader, host: "127.0.0.1", port: 0, pollMs: 100, log: (l) => errors.push(l) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  });
  after(async () => {
    await browser?.close();
    await ui?.close();
    await reader?.close();
    await lab?.close();
  });

  it("lists the runs and filters them by a spec field", { skip }, async () => {
    await open("#/");
    assert.equal(await page.locator("tbody tr").count(), 5 + 1, "five runs and one sweep");
    await page.selectOption('select[name="distinguishability"]', "0");
    await ready("#/runs?distinguishability=0");
    const names = await page.locator("section table").first().locator("tbody tr td:nth-child(3)").allTextContents();
    assert.deepEqual(names, ["lab-sweep", "lab-sweep"]);
    await page.screenshot({ path: `${SHOTS}/dashboard-runs.png`, fullPage: true });
  });

  it("draws every figure of a run with data, and shows its class with the interval", { skip }, async () => {
    await open(`#/run/${lab.runId}`);
    const perf = await marks("performance");
    assert.equal(perf.lines, 3, "a mean line for A, B and N1");
    assert.equal(perf.areas, 3, "a seed band for each");
    assert.ok(perf.rules >= 3, `phase boundaries at 40, 80, 120: ${perf.rules}`);
    assert.deepEqual(perf.legend, ["A", "B", "N1"]);
    const matrix = await marks("matrix");
    assert.ok(matrix.rects >= 3 * 9, `a cell per env and checkpoint: ${matrix.rects}`);
    const behaviour = (await marks("behaviour")).legend;
    assert.deepEqual(behaviour.slice(0, 2), ["conditionality", "churn"], "legend from the descriptors' titles");
    assert.equal((await marks("behaviour")).lines, behaviour.length);
    assert.equal((await marks("class-scores")).lines, 3);
    assert.equal((await marks("routing-cue-decodability-selectivity-mask-overlap")).lines, 3);
    const label = (await (await fetch(`${ui.url}api/runs/${lab.runId}`)).json()).overview.classification.label;
    assert.equal(await page.locator("[data-classification] .badge").textContent(), label);
    assert.match(await page.locator("[data-classification] table").innerText(), /\[\d\.\d{3}, \d\.\d{3}\]/);
    await page.screenshot({ path: `${SHOTS}/dashboard-run.png` });
    await page.screenshot({ path: `${SHOTS}/dashboard-run-full.png`, fullPage: true });
  });

  it("picks up a checkpoint written while the page is open", { skip }, async () => {
    const replay = await replayRun(lab.store, lab.runId, "rlivebrowser1");
    for (let i = 0; i < 3; i++) await replay.write();
    await open(`#/run/${replay.id}`);
    assert.equal(await page.getAttribute('section[data-page="run"]', "data-last-step"), "40");
    assert.equal(await page.locator(".live").isVisible(), true);
    const before = (await marks("matrix")).rects;
    const step = await replay.write(); // another connection, as a training process would
    await page.waitForSelector(`section[data-page="run"][data-last-step="${step}"]`, { timeout: 5000 });
    assert.equal((await marks("matrix")).rects, before + 3, "one more column of three environments");
    await page.screenshot({ path: `${SHOTS}/dashboard-live.png` });
    await replay.finish();
    await page.waitForSelector(".live", { state: "hidden", timeout: 5000 });
    assert.equal(await page.getAttribute('section[data-page="run"]', "data-status"), "completed");
  });

  it("draws the phase diagram; a click on a cell opens its run", { skip }, async () => {
    await open(`#/sweep/${lab.sweepId}`);
    const diagram = await marks("diagram");
    assert.equal(diagram.rects, 4, "one cell per setting");
    assert.ok(diagram.legend.includes("ecological-generalist"));
    await page.screenshot({ path: `${SHOTS}/dashboard-sweep.png` });
    const { placements } = (await (await fetch(`${ui.url}api/sweeps/${lab.sweepId}`)).json()).diagram;
    const cell = page.locator('figure[data-figure="diagram"] .mark-rect path').first();
    await cell.click(); // at its centre, where the cell's text is written: the text must let the click through
    await page.waitForSelector('section[data-route^="#/run/"][data-ready]', { timeout: 10_000 });
    const opened = decodeURIComponent(await page.evaluate(() => location.hash.slice("#/run/".length)));
    assert.ok(placements.some((p: { runIds: string[] }) => p.runIds.includes(opened)), `opened ${opened}, a run of the sweep`);
    assert.equal(await page.locator("h1 + p code").first().textContent(), opened);
  });

  it("compares runs on the same axes", { skip }, async () => {
    const cells = (await lab.store.listRuns({ sweepId: lab.sweepId })).map((r) => r.id);
    await open(`#/compare/${lab.runId},${cells[0]},${cells[1]}`);
    const fig = await marks("compare");
    assert.ok(fig.lines >= 3 * 2, `three runs in each panel: ${fig.lines}`);
    assert.equal(new Set(fig.legend).size, 3, "one legend entry per run");
    assert.ok(fig.legend.some((l) => l?.startsWith("lab-run")));
    await page.screenshot({ path: `${SHOTS}/dashboard-compare.png`, fullPage: true });
    await page.locator('input[data-key="behav/churn"]').uncheck();
    await page.waitForSelector('section[data-page="compare"][data-route*="keys="][data-ready]', { timeout: 10_000 });
    assert.equal(await page.locator('input[data-key="behav/churn"]').isChecked(), false);
  });

  it("ran without page errors", { skip }, () => {
    assert.deepEqual(errors, []);
  });
});
