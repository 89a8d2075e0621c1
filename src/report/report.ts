// `ecotone report`: one self-contained HTML file per run or sweep, with the dashboard's pictures
// rendered to inline SVG and the class and metrics tables beside them. Rendered from stored data
// only (never the clock), so the same store gives the same file.

import { CLASSES, type ClassLabel } from "../metrics/classify.ts";
import { CLASS_COLORS, toSvg } from "../plots/index.ts";
import type { RunRow, Store } from "../store/types.ts";
import { sweepDiagram } from "../sweep/diagram.ts";
import { sweepResults, type CellResult } from "../sweep/results.ts";
import { EcotoneError } from "../util/errors.ts";
import { runFigures } from "./figures.ts";
import { esc, facts, figure, meanSd, num, page, table } from "./html.ts";
import { runOverview, specFields, type ClassView } from "./overview.ts";

/** What an id names: a sweep (exact id) first, then a run (id or unique prefix). */
export async function resolveId(store: Store, id: string): Promise<{ kind: "run"; run: RunRow } | { kind: "sweep"; id: string }> {
  if (await store.getSweep(id)) return { kind: "sweep", id };
  const run = await store.getRun(id);
  if (run) return { kind: "run", run };
  throw new EcotoneError("E_NOT_FOUND", `no run or sweep with id ${id} in ${store.url}`);
}

export async function reportHtml(store: Store, id: string): Promise<string> {
  const what = await resolveId(store, id);
  return what.kind === "run" ? runReport(store, what.run) : sweepReport(store, what.id);
}

const badge = (label: string) =>
  `<span class="class" style="background:${CLASS_COLORS[label as ClassLabel] ?? "#ddd"}">${esc(label)}</span>`;

function classSection(c: ClassView | null): string {
  if (!c) return "<p>No classification yet (no checkpoint with a class).</p>";
  const rows = CLASSES.map((name) => {
    const ci = c.ci[name];
    const cls = name === c.label ? ' class="win"' : "";
    return [`<span${cls}>${esc(name)}</span>`, num(c.scores[name]), ci ? `[${num(ci.lo)}, ${num(ci.hi)}]` : "–"];
  });
  return `<p>${badge(c.label)} ${c.source === "checkpoint" ? "(at the last checkpoint so far)" : ""}</p>` +
    table(["class", "score (mean over seeds)", "95% bootstrap CI"], rows);
}

export async function runReport(store: Store, run: RunRow): Promise<string> {
  const [points, phases, divergences] = await Promise.all([store.metrics(run.id), store.phases(run.id), store.divergences(run.id)]);
  const ov = runOverview(run, points);
  const spec = specFields(run.specJson);
  const svgs = await Promise.all(runFigures(points, phases, run.metrics).map(async (f) => figure(f.id, f.title, await toSvg(f.spec))));
  const perf = table(
    ["environment", "accuracy (mean ± sd)", "expected reward (mean ± sd)", "n"],
    ov.performance.map((p) => [esc(p.env) + (run.envs.includes(p.env) ? "" : " (novel)"), meanSd(p.acc), meanSd(p.reward), String(p.acc.n)]),
  );
  const headline = table(["metric", "key", "mean ± sd over seeds", "n"],
    ov.headline.filter((h) => h.stat.n > 0).map((h) => [esc(h.title), `<code>${esc(h.key)}</code>`, meanSd(h.stat), String(h.stat.n)]));
  const div = divergences.length === 0 ? "" : `<h2>Diverged seeds</h2>` +
    table(["seed", "step", "environment", "what"], divergences.map((d) => [String(d.seed), String(d.step), esc(d.env), esc(d.what)]));
  const body = [
    `<h1>${esc(run.name)}</h1><p class="sub">run <code>${esc(run.id)}</code>${run.sweepId ? ` of sweep <code>${esc(run.sweepId)}</code>` : ""}</p>`,
    facts([
      ["status", esc(run.status)], ["checkpoint", ov.step === null ? "none" : `${ov.step} / ${run.steps} steps`],
      ["seeds", String(run.seeds)], ["environments", esc(run.envs.join(", "))],
      ["schedule", esc(spec.schedule ?? "?")], ["volatility", `${num(run.volatility, 4)} switches/step`],
      ["distinguishability", num(spec.distinguishability, 2)], ["similarity", num(spec.similarity, 2)],
      ["created", esc(run.createdAt)],
    ]),
    `<h2>Class</h2>`, classSection(ov.classification),
    `<h2>Performance</h2>`, perf,
    `<h2>Figures</h2>`, svgs.join("\n") || "<p>No checkpoint yet.</p>",
    `<h2>Headline metrics</h2>`, headline, div,
    `<h2>Spec</h2><pre>${esc(JSON.stringify(JSON.parse(run.specJson), null, 2))}</pre>`,
  ];
  return page(`${run.name} (${run.id}): ecotone report`, body.join("\n"));
}

/** The label's "score [lo, hi]", as the phase diagram writes it; an unresolved cell shows its best class's. */
function cellScore(c: CellResult): string {
  const finite = Object.entries(c.scores).filter(([, v]) => typeof v === "number" && Number.isFinite(v));
  if (finite.length === 0) return "–";
  const own = typeof c.scores[c.label ?? ""] === "number";
  const [name, s] = own ? [c.label!, c.scores[c.label!]!] : finite.reduce((a, b) => (b[1] > a[1] ? b : a));
  const ci = c.ci[name] as { lo?: number; hi?: number } | undefined;
  const interval = typeof ci?.lo === "number" && typeof ci.hi === "number" ? ` [${num(ci.lo, 2)}, ${num(ci.hi, 2)}]` : "";
  return `${own ? "" : `best ${esc(name)}: `}${num(s, 2)}${interval}`;
}

export async function sweepReport(store: Store, sweepId: string): Promise<string> {
  const r = await sweepResults(store, sweepId);
  const d = sweepDiagram(r);
  const params = [...r.grid, ...r.zip];
  const envs = [...new Set(r.cells.flatMap((c) => Object.keys(c.performance)))];
  const rows = r.cells.map((c) => [
    String(c.index), ...params.map((p) => esc(JSON.stringify(c.params[p]))), esc(c.status),
    c.label ? badge(c.label) : "–", cellScore(c),
    ...envs.map((e) => { const s = c.performance[e]; return s ? meanSd({ mean: s.mean, sd: s.sd, n: s.n }, 2) : "–"; }),
    c.runIds.map((id) => `<code>${esc(id)}</code>`).join(" "),
  ]);
  const cells = table(["cell", ...params.map((p) => `<code>${esc(p)}</code>`), "status", "class", "score [95% CI]", ...envs.map((e) => `acc ${esc(e)}`), "run"], rows);
  const diagram = d.spec ? figure("diagram", "class per cell: colour = class, opacity = the winning score; each cell gives score [95% bootstrap CI] over seeds", await toSvg(d.spec)) : `<p>${esc(d.note ?? "")}</p>`;
  const body = [
    `<h1>${esc(r.name)}</h1><p class="sub">sweep <code>${esc(r.sweepId)}</code></p>`,
    facts([["status", esc(r.status)], ["cells", String(r.cells.length)], ["completed", String(r.completed)], ["failed", String(r.failed)], ["swept", esc(params.join(", "))]]),
    `<h2>Phase diagram</h2>`, diagram,
    `<h2>Cells</h2>`, cells,
  ];
  return page(`${r.name} (${r.sweepId}): ecotone report`, body.join("\n"));
}
