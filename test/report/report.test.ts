// `ecotone report`: one self-contained HTML file per run or sweep, with the dashboard's figures as
// inline SVG that are drawn with data, the class and metrics tables, nothing loaded from anywhere,
// user data escaped, and the same bytes for the same store.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import report from "../../src/cli/commands/report.ts";
import { reportHtml } from "../../src/report/report.ts";
import { makeLab, tempDir, type Lab } from "../dashboard/_fixtures.ts";

let lab: Lab;
let out: string; // where the command tests write
before(async () => { lab = await makeLab("report"); out = tempDir("report-out"); });
after(async () => {
  await lab.close();
  rmSync(out, { recursive: true, force: true });
});

/** Everything that would make a browser fetch something, or run something. */
function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /<script|<link|<iframe|<object|<embed|<img|@import|javascript:/i);
  assert.doesNotMatch(html, /\b(src|href|action|srcset|poster)\s*=\s*["']?(https?:|\/\/|file:)/i, "no external reference");
  assert.doesNotMatch(html, /url\(\s*["']?(https?:|\/\/)/i, "no external CSS resource");
  assert.match(html, /^<!doctype html>/);
}

/** The SVG of one figure, found by its data-figure hook. */
function svgOf(html: string, id: string): string {
  const m = new RegExp(`<figure id="fig-${id}" data-figure="${id}">(<svg[\\s\\S]*?</svg>)`).exec(html);
  assert.ok(m, `figure ${id} present`);
  return m[1]!;
}
const count = (s: string, re: RegExp) => s.match(re)?.length ?? 0;

describe("run report", () => {
  let html: string;
  before(async () => { html = await reportHtml(lab.store, lab.runId); });

  it("is self-contained", () => assertSelfContained(html));

  it("inlines every figure, each drawn with data", async () => {
    const perf = svgOf(html, "performance");
    assert.equal(count(perf, /aria-roledescription="line mark"/g), 3, "a mean line per environment");
    assert.equal(count(perf, /aria-roledescription="area mark"/g), 3, "a seed band per environment");
    for (const env of ["A", "B", "N1"]) assert.match(perf, new RegExp(`<text[^>]*>${env}</text>`), `legend names ${env}`);
    assert.ok(count(svgOf(html, "matrix"), /aria-roledescription="rect mark"/g) >= 3 * 9, "a cell per env and checkpoint");
    const behaviour = (await lab.store.getRun(lab.runId))!.metrics.filter((d) => d.panel === "behaviour");
    assert.ok(behaviour.some((d) => d.key === "behav/cond") && behaviour.some((d) => d.key === "behav/churn"));
    assert.equal(count(svgOf(html, "behaviour"), /aria-roledescription="line mark"/g), behaviour.length, "a line per key of the panel");
    assert.equal(count(svgOf(html, "class-scores"), /aria-roledescription="line mark"/g), 3);
    assert.equal(count(svgOf(html, "routing-cue-decodability-selectivity-mask-overlap"), /aria-roledescription="line mark"/g), 3, "decodability at L1, selectivity, mask overlap");
    for (const [, id] of html.matchAll(/<figure id="fig-([^"]+)"/g)) assert.ok(count(svgOf(html, id!), /aria-roledescription="(line|rect) mark"/g) > 0, `${id} drawn with data`);
  });

  it("has the class with its interval, performance per environment and the headline metrics", async () => {
    const summary = (await lab.store.getRun(lab.runId))!.summary as { classification: { label: string; ci: Record<string, { lo: number }> } };
    assert.match(html, new RegExp(`<span class="class"[^>]*>${summary.classification.label}</span>`));
    assert.ok(html.includes(`[${summary.classification.ci["conditional-policy"]!.lo.toFixed(3)}, `), "the CI as stored");
    assert.match(html, /<td>N1 \(novel\)<\/td><td>\d\.\d{3} ± \d\.\d{3}<\/td>/);
    assert.match(html, /<td>churn<\/td><td><code>behav\/churn<\/code><\/td>/, "headline metrics titled by their descriptors");
    assert.match(html, /<code>route\/conflict<\/code>/);
  });

  it("is the same file twice", async () => assert.equal(await reportHtml(lab.store, lab.runId), html));

  it("escapes user data, and says so when a run has no checkpoint yet", async () => {
    const name = `<img src=x onerror="alert(1)">&`;
    await lab.store.createRun({ id: "rxss00000001", name, specJson: JSON.stringify({ name }), specHash: "x", seeds: 1, steps: 10, volatility: 0, envs: ["A"] });
    const page = await reportHtml(lab.store, "rxss00000001");
    assertSelfContained(page);
    assert.ok(page.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;"));
    assert.match(page, /No checkpoint yet/);
  });
});

describe("sweep report", () => {
  it("has the phase diagram drawn with every cell, and the cells table with their runs", async () => {
    const html = await reportHtml(lab.store, lab.sweepId);
    assertSelfContained(html);
    const diagram = svgOf(html, "diagram");
    assert.equal(count(diagram, /aria-roledescription="rect mark"/g), 4);
    assert.match(diagram, /\d\.\d\d \[\d\.\d\d, \d\.\d\d\]/, "score and CI written in the cells");
    for (const r of await lab.store.listRuns({ sweepId: lab.sweepId })) assert.ok(html.includes(`<code>${r.id}</code>`));
  });
});

describe("ecotone report", () => {
  it("writes the file for a run id prefix", async () => {
    const file = join(out, "run.html");
    const path = lab.path;
    await report(lab.runId.slice(0, 7), { store: path, out: file });
    assertSelfContained(readFileSync(file, "utf8"));
  });

  const errors: [string, { id?: string; store?: string; out: string }, RegExp][] = [
    ["an output that is not .html", { out: "x.pdf" }, /-o must end in \.html, got .*x\.pdf$/],
    ["an unknown id", { id: "nothing", out: "x.html" }, /no run or sweep with id nothing/],
    ["a missing store", { store: "/nonexistent/runs.db", out: "x.html" }, /no run store at \/nonexistent\/runs\.db/],
  ];
  for (const [what, o, re] of errors) {
    it(`refuses ${what}`, async () => {
      const file = join(out, o.out);
      await assert.rejects(report(o.id ?? lab.runId, { store: o.store ?? lab.path, out: file }), (e: Error & { code?: string }) => re.test(e.message) && /^E_/.test(e.code ?? ""));
      assert.equal(existsSync(file), false);
    });
  }
});
