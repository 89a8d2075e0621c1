// Internal: the schedule drawn behind a time axis. Phases are faint background bands in
// alternating shades (so back-to-back phases stay distinct even when they share an env), with
// light rules at the switches and the env written above each band when it has room.

import type { Phase } from "../store/types.ts";
import type { LayerSpec, UnitSpec } from "vega-lite/types_unstable/spec/index.js";
import type { Field } from "vega-lite/types_unstable/channeldef.js";

export type Layer = LayerSpec<Field> | UnitSpec<Field>;

// Alternate phase backgrounds as translucent overlays (not opaque fills), so the grid shows through.
const SHADES = [0.03, 0.07] as const; // opacity of SHADE over white
const SHADE = "#2a3550";
const RULE = "#a0a4ab"; // switch lines
const LABEL_FONT = 11; // px
const CHAR_WIDTH = 0.62 * LABEL_FONT; // a label is drawn only if its band is wider than its text

/** Clip phases to the plotted step range [x0, x1]; phases outside it are dropped. */
export function clipPhases(phases: readonly Phase[], x0: number, x1: number): Phase[] {
  const out: Phase[] = [];
  for (const p of phases) {
    if (!(p.end > p.start)) throw new RangeError(`phase must have end > start, got [${p.start}, ${p.end}) for env ${p.env}`);
    const start = Math.max(p.start, x0);
    const end = Math.min(p.end, x1);
    if (end > start) out.push({ start, end, env: p.env });
  }
  return out;
}

/** The x range to plot: the data's steps, or the schedule's when there is no data yet. */
export function stepDomain(steps: readonly number[], phases: readonly Phase[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of steps) [lo, hi] = [Math.min(lo, s), Math.max(hi, s)];
  if (lo === Infinity) for (const p of phases) [lo, hi] = [Math.min(lo, p.start), Math.max(hi, p.end)];
  if (lo === Infinity) return [0, 1];
  return lo === hi ? [lo, lo + 1] : [lo, hi];
}

/** Encoding of the step axis shared by every layer of a time plot, so all layers agree on it. */
export function stepX(domain: [number, number], axis: object | null, field = "step") {
  return { field, type: "quantitative" as const, scale: { domain, nice: false, zero: false }, axis };
}

/**
 * Layers for `phases` (already clipped to `domain`) on a plot `width` px wide: background bands
 * (off where they would be hidden, as under a heatmap), a rule at each switch, and each env
 * written above the plot area where its band has room.
 */
export function phaseLayers(
  phases: readonly Phase[],
  domain: [number, number],
  opts: { width: number; axis: object | null; bands: boolean; labels: boolean },
): Layer[] {
  if (phases.length === 0) return [];
  // Layers of one plot share the x axis; vega-lite merges their axis definitions, so every layer
  // must carry the same one (a `null` here would remove the data layers' axis).
  const x = stepX(domain, opts.axis, "start");
  const pxPerStep = opts.width / (domain[1] - domain[0]);
  const bands = phases.map((p, i) => ({
    start: p.start, end: p.end, env: p.env, shade: SHADES[i % 2],
    mid: (p.start + p.end) / 2,
    fits: (p.end - p.start) * pxPerStep >= p.env.length * CHAR_WIDTH + 4,
  }));
  const layers: Layer[] = [];
  if (opts.bands) {
    layers.push({
      data: { values: bands },
      mark: { type: "rect", fill: SHADE },
      encoding: { x, x2: { field: "end" }, opacity: { field: "shade", type: "quantitative", scale: null, legend: null } },
    });
  }
  layers.push({
    data: { values: bands.slice(1).map((b) => ({ start: b.start })) }, // a rule where each phase begins
    mark: { type: "rule", color: RULE, strokeWidth: 1, strokeDash: [3, 3] },
    encoding: { x },
  });
  if (opts.labels) {
    layers.push({
      data: { values: bands.filter((b) => b.fits).map((b) => ({ start: b.mid, env: b.env })) },
      mark: { type: "text", baseline: "bottom", dy: -3, fontSize: LABEL_FONT, color: "#555", clip: false },
      encoding: { x, y: { value: 0 }, text: { field: "env", type: "nominal" } },
    });
  }
  return layers;
}
