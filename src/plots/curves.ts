// Learning curves: the mean over seeds of each metric key against step, with a shaded band for
// the spread over seeds, drawn over the schedule's phases. `panelsSpec` stacks several such
// plots on one shared step axis (performance / behaviour / mechanism).

import type { MetricPoint, Phase } from "../store/types.ts";
import { cleanLabels, round, seedStats, selectKeys, type KeySelection } from "./_data.ts";
import { clipPhases, phaseLayers, stepDomain, stepX, type Layer } from "./_phases.ts";
import { SCHEMA, THEME, type VlSpec } from "./render.ts";

export interface CurvesOptions extends KeySelection {
  phases?: readonly Phase[]; // schedule segments drawn behind the curves
  title?: string; // figure title; none by default
  yTitle?: string | null; // y axis title; defaults to the prefix or "value"; null for none
  xTitle?: string; // x axis title; "step" by default
  band?: "sd" | "minmax"; // spread over seeds: mean ± 1 sd (default) or min..max
  yDomain?: [number, number]; // fix the y range (e.g. [0, 1] for accuracy); data-driven by default
  labels?: Readonly<Record<string, string>>; // legend label per key, overriding the cleaned key
  width?: number; // plot area width in px (default 560)
  height?: number; // plot area height in px (default 260 alone, 170 per panel)
}

export interface PanelGroup extends KeySelection {
  title: string; // panel title, e.g. "performance"
  yTitle?: string; // y axis title; none by default (the panel title says it)
  yDomain?: [number, number]; // fix this panel's y range
  labels?: Readonly<Record<string, string>>; // legend label per key
}

const WIDTH = 560;
const BAND_OPACITY = 0.18; // seeds' spread: visible, yet lines stay the figure's subject

type VlLayer = { width: number; height: number; layer: Layer[] };

/** One curves plot as a layer: phase background, then bands, then mean lines on top. */
function curvesLayer(
  points: readonly MetricPoint[],
  opts: CurvesOptions,
  how: { who: string; phaseLabels: boolean; xAxis: boolean; domain?: [number, number] },
): VlLayer {
  const { who, phaseLabels, xAxis } = how;
  const keys = selectKeys(points, opts, who);
  const cleaned = cleanLabels(keys, opts.prefix);
  const labels = keys.map((k, i) => opts.labels?.[k] ?? cleaned[i]!);
  const labelOf = new Map(keys.map((k, i) => [k, labels[i]!]));
  const stats = seedStats(points, keys);
  const minmax = opts.band === "minmax";
  const rows = stats.map((s) => ({
    step: s.step, label: labelOf.get(s.key)!, mean: round(s.mean), n: s.n,
    lo: round(minmax ? s.min : s.mean - s.sd), hi: round(minmax ? s.max : s.mean + s.sd),
  }));
  const phases = opts.phases ?? [];
  const domain = how.domain ?? stepDomain(rows.map((r) => r.step), phases);
  const width = opts.width ?? WIDTH;
  const axis = xAxis ? { title: opts.xTitle ?? "step", tickCount: 8 } : { title: null, labels: false };
  const x = stepX(domain, axis);
  // An explicit domain keeps the colour of a key fixed whether or not it has data yet.
  const color = {
    field: "label", type: "nominal" as const, scale: { domain: labels },
    // Opaque stroke symbols: the band's faint fill would otherwise set the legend's look.
    legend: { title: null, symbolType: "stroke", symbolOpacity: 1, symbolStrokeWidth: 3, labelLimit: 280 }, // room for a descriptor's title
  };
  // With no data yet (a run just started) there is no extent to take; show [0, 1] until there is.
  const yDomain = opts.yDomain ?? (rows.length === 0 ? [0, 1] : undefined);
  const yScale = yDomain ? { domain: yDomain, nice: false, zero: false } : { zero: false };
  const clip = opts.yDomain !== undefined; // bands may overshoot a fixed range
  const yTitle = opts.yTitle === undefined ? opts.prefix?.replace(/[:/]$/, "") ?? "value" : opts.yTitle;
  const height = opts.height ?? 260;
  const yAxis = { titleLimit: height }; // a long title is cut rather than pushing the plot down
  const series: Layer[] = [
    {
      mark: { type: "area", opacity: BAND_OPACITY, clip },
      encoding: {
        x, y: { field: "lo", type: "quantitative", scale: yScale, title: yTitle, axis: yAxis },
        y2: { field: "hi" }, color,
      },
    },
    {
      mark: { type: "line", clip },
      encoding: { x, y: { field: "mean", type: "quantitative", scale: yScale, title: yTitle, axis: yAxis }, color },
    },
  ];
  return {
    width,
    height,
    layer: [
      ...phaseLayers(clipPhases(phases, domain[0], domain[1]), domain, { width, axis, bands: true, labels: phaseLabels }),
      { data: { values: rows }, layer: series },
    ],
  };
}

/** Curves of several keys (mean over seeds, band of spread) over steps, on the schedule. */
export function curvesSpec(points: readonly MetricPoint[], opts: CurvesOptions): VlSpec {
  const layer = curvesLayer(points, opts, { who: "curvesSpec", phaseLabels: true, xAxis: true });
  return { $schema: SCHEMA, config: THEME, ...titled(opts.title), ...layer };
}

/** Several curves panels stacked vertically on one shared step axis, e.g. perf / behav / mech. */
export function panelsSpec(
  points: readonly MetricPoint[],
  groups: readonly PanelGroup[],
  phases?: readonly Phase[],
  opts: { title?: string; band?: "sd" | "minmax"; width?: number; height?: number; xTitle?: string } = {},
): VlSpec {
  if (groups.length === 0) throw new RangeError("panelsSpec: expected at least one group, got none");
  // Every panel gets the same step range, so the switches line up down the page.
  const all = groups.flatMap((g) => seedStats(points, selectKeys(points, g, "panelsSpec")).map((s) => s.step));
  const domain = stepDomain(all, phases ?? []);
  const panels = groups.map((g, i) => {
    const last = i === groups.length - 1;
    const inner = curvesLayer(
      points,
      { ...g, title: undefined, yTitle: g.yTitle ?? null, phases: phases ?? [], band: opts.band ?? "sd",
        width: opts.width ?? WIDTH, height: opts.height ?? 170, xTitle: opts.xTitle },
      { who: "panelsSpec", phaseLabels: i === 0, xAxis: last, domain },
    );
    return { title: { text: g.title, fontSize: 13, anchor: "start" as const }, ...inner };
  });
  return {
    $schema: SCHEMA,
    config: THEME,
    ...titled(opts.title),
    vconcat: panels,
    spacing: 14,
    // Each panel has its own keys, so its own colours and legend; the step axis is common.
    resolve: { scale: { color: "independent", y: "independent" }, legend: { color: "independent" } },
  };
}

function titled(title: string | undefined): { title?: string } {
  return title === undefined ? {} : { title };
}
