// Rendering vega-lite specs to SVG and PNG, and the shared look of every ecotone plot.
//
// The spec builders (curves.ts, heatmap.ts) embed THEME in the specs they return, so a spec is
// self-contained: the browser dashboard hands the same JSON to vega-embed and gets the same
// picture. This file only turns a spec into bytes, deterministically: rendering the same spec
// twice gives byte-identical SVG, so plots can be snapshot-tested and reports diffed.

import { createHash } from "node:crypto";
import * as vega from "vega";
import * as vl from "vega-lite";
import { Resvg } from "@resvg/resvg-js";

export type VlSpec = vl.TopLevelSpec;

/** The vega-lite schema the specs are written against (vega-lite 6). */
export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Tableau10: a categorical palette that stays distinguishable under common colour blindness. */
export const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
] as const;

/** Fonts in order of preference; resvg and browsers take the first one installed. */
export const FONT = "Helvetica Neue, Helvetica, Arial, DejaVu Sans, sans-serif";

/** Shared theme: readable sizes for print (a figure is often shown at half size), white background. */
export const THEME: vl.Config = {
  background: "white", // PNGs and dark-mode report viewers need an explicit background
  padding: 8, // px around the whole figure
  font: FONT,
  view: { stroke: null }, // no box around the plot area; the axes frame it
  title: { fontSize: 15, fontWeight: "bold", anchor: "start", offset: 10 },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: "normal",
    gridColor: "#e6e6e6", // light enough to sit behind data without competing with it
    domainColor: "#888",
    tickColor: "#888",
    labelColor: "#333",
    titleColor: "#222",
  },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: "normal", symbolStrokeWidth: 3 },
  header: { labelFontSize: 13, titleFontSize: 13, titleFontWeight: "normal" },
  range: { category: [...PALETTE] },
  line: { strokeWidth: 2 },
};

/** Warnings from vega-lite or vega (a dropped encoding, an infinite extent) mean a bug in a spec builder. */
const logger = vega.logger(vega.Warn, "warn", (_method, level, args) => console.warn(`ecotone plots (${level}):`, ...args));

/** The vega (not vega-lite) spec, for callers that run their own vega view. */
export function toVega(spec: VlSpec): vega.Spec {
  return vl.compile(spec, { logger }).spec as vega.Spec;
}

/**
 * Render a vega-lite spec to an SVG string, headless (no canvas: text widths are estimated,
 * which is deterministic). Element ids are renamed to be stable and unique per picture, so
 * several SVGs can be inlined into one HTML page without their clip paths colliding.
 */
export async function toSvg(spec: VlSpec): Promise<string> {
  const view = new vega.View(vega.parse(toVega(spec)), { renderer: "none", logger, logLevel: vega.Warn });
  try {
    return stableIds(await view.toSVG());
  } finally {
    view.finalize(); // release the dataflow's timers and listeners
  }
}

/** Rasterise an SVG to PNG bytes at `scale` × its size (2 suits slides and retina screens). */
export function toPng(svg: string, scale = 2): Uint8Array {
  if (!(scale > 0)) throw new RangeError(`toPng: scale must be > 0, got ${scale}`);
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return new Uint8Array(resvg.render().asPng());
}

// vega names clip paths `clip<N>` and gradients `gradient_<N>` from module-level counters, so
// the second render in a process gets different ids than the first. Renumber them by order of
// appearance, then prefix them with a hash of the picture itself: identical pictures get
// identical ids (harmless when inlined together), different pictures get different ones.
const ID_REF = /(id="|url\(#|href="#)((?:p_)?(?:clip|gradient_)\d+)(?=[")])/g;

export function stableIds(svg: string): string {
  const renamed = new Map<string, string>();
  const local = svg.replace(ID_REF, (_m, lead: string, id: string) => {
    let next = renamed.get(id);
    if (next === undefined) renamed.set(id, (next = `${id.replace(/\d+$/, "")}${renamed.size}`));
    return lead + next;
  });
  if (renamed.size === 0) return local;
  const tag = createHash("sha256").update(local).digest("hex").slice(0, 8);
  return local.replace(ID_REF, (_m, lead: string, id: string) => `${lead}e${tag}-${id}`);
}
