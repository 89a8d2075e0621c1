// Internal pieces of a self-contained HTML page: escaping, number formats, tables and the page
// shell with its inline stylesheet. Nothing here loads anything: no scripts, no links, no fonts.

import type { Stat } from "./overview.ts";

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or attribute value made safe: run names and spec values are user data. */
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ESC[c]!);

/** A number with `digits` decimals, or an en dash when missing. */
export function num(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

/** "0.770 ± 0.067" (sd over seeds), or "–". */
export const meanSd = (s: Stat, digits = 3): string => (s.mean === null ? "–" : `${num(s.mean, digits)} ± ${num(s.sd, digits)}`);

/** A table from a header row and body rows of already-escaped HTML cells. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ""): string {
  const th = head.map((h) => `<th>${h}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table${cls ? ` class="${cls}"` : ""}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Definition list of label → already-escaped value. */
export const facts = (pairs: readonly [string, string][]): string =>
  `<dl class="facts">${pairs.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join("")}</dl>`;

/** An inline SVG figure with its caption; `id` makes it linkable (#fig-performance). */
export const figure = (id: string, caption: string, svg: string): string =>
  `<figure id="fig-${esc(id)}" data-figure="${esc(id)}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;

// Print-friendly: serif-free body, figures never wider than the page, tables that fit a column.
const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 "Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif; color: #222; max-width: 980px; margin: 2rem auto; padding: 0 1rem; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.sub { color: #666; margin-top: 0; }
.facts { display: flex; flex-wrap: wrap; gap: .4rem 1.6rem; margin: 1rem 0; } .facts div { display: flex; gap: .4rem; } .facts dt { color: #666; } .facts dd { margin: 0; font-weight: 600; }
table { border-collapse: collapse; margin: .6rem 0; font-variant-numeric: tabular-nums; } th, td { padding: .25rem .7rem; border-bottom: 1px solid #e6e6e6; text-align: left; white-space: nowrap; } th { font-weight: 600; background: #f6f7f9; }
.class { display: inline-block; padding: .15rem .6rem; border-radius: 1rem; font-weight: 700; }
.win { font-weight: 700; }
figure { margin: 1.2rem 0; page-break-inside: avoid; } figure svg { max-width: 100%; height: auto; } figcaption { color: #555; font-size: .9rem; }
pre { background: #f6f7f9; padding: .8rem; overflow-x: auto; font-size: 12px; }
footer { margin-top: 3rem; color: #888; font-size: .85rem; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
`;

/** The whole page. `body` is already-escaped HTML. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ecotone report">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<footer>Written by <code>ecotone report</code> from the run store; every number is over seeds at the last checkpoint unless said otherwise.</footer>
</body>
</html>
`;
}
