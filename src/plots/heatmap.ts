// Grids of colour: the performance matrix P[t][k] over time for one run, and a sweep's phase
// diagram (which class each setting of the swept parameters falls into, and how surely).

import { CLASS_KEYS, LABEL_CODES, type ClassLabel } from "../metrics/classify.ts";
import { accuracyKey } from "../metrics/live/index.ts";
import type { MetricPoint, Phase } from "../store/types.ts";
import { naturalCompare } from "../util/order.ts";
import { cleanLabels, round, seedStats, selectKeys, type KeySelection } from "./_data.ts";
import { clipPhases, phaseLayers, stepDomain, stepX, type Layer } from "./_phases.ts";
import { SCHEMA, THEME, type VlSpec } from "./render.ts";

export interface MatrixOptions extends KeySelection {
  phases?: readonly Phase[]; // switches drawn as rules; each phase's own env row outlined
  title?: string; // figure title; none by default
  colorTitle?: string; // legend title; "accuracy" by default
  domain?: [number, number]; // colour range; [0, 1] by default (values outside are clamped)
  width?: number; // plot area width in px (default 560)
}

/**
 * The performance matrix over time: x = checkpoint step, y = environment, colour = mean over
 * seeds on a sequential, colour-blind-safe scale (viridis). Keys default to accuracy on every environment.
 */
export function matrixSpec(points: readonly MetricPoint[], opts: MatrixOptions = {}): VlSpec {
  const sel = opts.keys === undefined && opts.prefix === undefined ? { prefix: accuracyKey("") } : opts;
  const keys = selectKeys(points, sel, "matrixSpec");
  const labels = cleanLabels(keys, sel.prefix);
  const labelOf = new Map(keys.map((k, i) => [k, labels[i]!]));
  const stats = seedStats(points, keys);
  // Each checkpoint's cell reaches halfway to its neighbours, so uneven cadences leave no gaps.
  const steps = [...new Set(stats.map((s) => s.step))].sort((a, b) => a - b);
  const edges = new Map<number, [number, number]>();
  steps.forEach((s, i) => {
    const prev = steps[i - 1];
    const next = steps[i + 1];
    const left = prev !== undefined ? s - prev : next !== undefined ? next - s : 1; // gap to the left
    const right = next !== undefined ? next - s : left;
    // Overlap the next cell by 2% so anti-aliasing leaves no hairline seams between cells.
    edges.set(s, [s - left / 2, s + (next === undefined ? right / 2 : right * 0.52)]);
  });
  const rows = stats.map((s) => ({
    env: labelOf.get(s.key)!, step: s.step, x0: edges.get(s.step)![0], x1: edges.get(s.step)![1],
    mean: round(s.mean), sd: round(s.sd), n: s.n,
  }));
  const phases = opts.phases ?? [];
  const domain = stepDomain(rows.flatMap((r) => [r.x0, r.x1]), phases);
  const shown = clipPhases(phases, domain[0], domain[1]);
  const width = opts.width ?? 560;
  const y = { field: "env", type: "nominal" as const, sort: labels, scale: { domain: labels }, title: "environment" };
  const axis = { title: "step", tickCount: 8 };
  const colour = {
    field: "mean", type: "quantitative" as const,
    scale: { scheme: "viridis", domain: opts.domain ?? [0, 1], clamp: true }, // viridis: colour-blind safe, prints in grey
  };
  const layers: Layer[] = [
    {
      data: { values: rows },
      mark: { type: "rect" },
      encoding: {
        x: stepX(domain, axis, "x0"), x2: { field: "x1" }, y,
        color: { ...colour, legend: { title: opts.colorTitle ?? "accuracy", gradientLength: Math.max(80, labels.length * 28) } },
      },
    },
    // Outline where each env is the one being trained: the diagonal of the schedule.
    {
      data: { values: shown.filter((p) => labels.includes(p.env)) },
      mark: { type: "rect", filled: false, stroke: "white", strokeWidth: 2 },
      encoding: { x: stepX(domain, axis, "start"), x2: { field: "end" }, y: { ...y, field: "env" } },
    },
    ...phaseLayers(shown, domain, { width, axis, bands: false, labels: true }), // bands would be hidden
  ];
  return {
    $schema: SCHEMA, config: THEME, ...(opts.title ? { title: opts.title } : {}),
    width, height: { step: 28 }, layer: layers,
  };
}

/**
 * Fixed colour per class, from Paul Tol's "light" scheme: colour-blind safe and light enough
 * for black text on top. Grey is reserved for `unresolved`. Fixed, so every sweep agrees.
 */
export const CLASS_COLORS: Readonly<Record<ClassLabel, string>> = {
  "ecological-generalist": "#44BB99", // mint
  "conditional-policy": "#77AADD", // light blue
  "strategy-churn": "#EE8866", // orange
  unresolved: "#DDDDDD", // pale grey
};

/** The short class name written in a cell, so the diagram reads without colour. */
const short = (l: ClassLabel): string => (CLASS_KEYS as Record<string, string>)[l] ?? l;

/** One setting of a sweep and its classification. */
export interface DiagramCell {
  params: Readonly<Record<string, number | string>>; // the swept parameters' values
  label: ClassLabel; // the winning class, or "unresolved"
  scores: Readonly<Record<string, number>>; // soft score per class
  ci?: Readonly<Record<string, { lo: number; hi: number }>>; // bootstrap CI over seeds per class
}

export interface PhaseDiagramOptions {
  x: string; // param on the x axis
  y: string; // param on the y axis (largest value at the top)
  facet?: string; // param with one panel per value, e.g. "volatility"
  title?: string; // figure title; none by default
  xTitle?: string; // axis titles; the param names by default
  yTitle?: string;
  facetTitle?: string; // panel headers read "<facetTitle> = <value>"; the param name by default
  digits?: number; // decimals of scores and CIs in the cells (default 2)
}

/** A text's width as vega estimates it without a canvas (0.8 em a character), above the width drawn. */
const textWidth = (text: string, fontSize: number) => 0.8 * fontSize * text.length;

/** Params as axis categories: numbers ascending numerically, strings in natural order. */
function ordered(values: Iterable<number | string>): string[] {
  const vs = [...new Set(values)];
  vs.sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : naturalCompare(String(a), String(b))));
  return [...new Set(vs.map(String))];
}

/**
 * A sweep's phase diagram: a grid over params `x` and `y`, one panel per value of `facet`;
 * colour = class, opacity = the winning class's score, and in each cell the class name and
 * "score [lo, hi]" so the figure reads in greyscale too.
 */
export function phaseDiagramSpec(cells: readonly DiagramCell[], opts: PhaseDiagramOptions): VlSpec {
  const dims = [opts.x, opts.y, ...(opts.facet === undefined ? [] : [opts.facet])];
  const digits = opts.digits ?? 2;
  const seen = new Set<string>();
  const rows = cells.map((c, i) => {
    for (const d of dims) {
      if (c.params[d] === undefined) {
        throw new RangeError(`phaseDiagramSpec: cell ${i} has no param ${d} (has: ${Object.keys(c.params).join(", ")})`);
      }
    }
    if (!LABEL_CODES.includes(c.label)) {
      throw new RangeError(`phaseDiagramSpec: unknown class label: ${String(c.label)} (expected one of ${LABEL_CODES.join(", ")})`);
    }
    const at = dims.map((d) => `${d}=${c.params[d]}`).join(", ");
    if (seen.has(at)) throw new RangeError(`phaseDiagramSpec: two cells at ${at}`);
    seen.add(at);
    // The winning score is the label's own; an unresolved cell shows its best class's score.
    const finite = Object.entries(c.scores).filter(([, v]) => Number.isFinite(v));
    const best = c.scores[c.label] !== undefined && Number.isFinite(c.scores[c.label]) ? c.label
      : finite.reduce<string | undefined>((b, [k, v]) => (b === undefined || v > c.scores[b]! ? k : b), undefined);
    const score = best === undefined ? undefined : c.scores[best]!;
    const ci = best === undefined ? undefined : c.ci?.[best];
    const f = (v: number) => v.toFixed(digits);
    const numbers = score === undefined ? "" : `${f(score)}${ci ? ` [${f(ci.lo)}, ${f(ci.hi)}]` : ""}`;
    return {
      x: String(c.params[opts.x]), y: String(c.params[opts.y]),
      facet: opts.facet === undefined ? "" : String(c.params[opts.facet]),
      label: c.label,
      text: numbers ? `${short(c.label)}\n${numbers}` : short(c.label),
      // Sure cells solid, doubtful ones faded; never so faint that the class colour is lost.
      opacity: score === undefined ? 1 : round(0.35 + 0.65 * Math.min(1, Math.max(0, score)), 3),
    };
  });
  const xs = ordered(cells.map((c) => c.params[opts.x]!));
  const ys = ordered(cells.map((c) => c.params[opts.y]!)).reverse(); // largest at the top
  const xTitle = opts.xTitle ?? opts.x;
  // Faceted, the x title is drawn once under all the panels (the facet header's title): repeated
  // under each, a title wider than its panel (a quick sweep has few x values) runs into the next one's.
  const cell: Layer = {
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 2 },
        encoding: {
          x: { field: "x", type: "ordinal", sort: xs, scale: { domain: xs }, title: opts.facet === undefined ? xTitle : null, axis: { labelAngle: 0 } },
          y: { field: "y", type: "ordinal", sort: ys, scale: { domain: ys }, title: opts.yTitle ?? opts.y },
          color: {
            field: "label", type: "nominal",
            scale: { domain: [...LABEL_CODES], range: LABEL_CODES.map((l) => CLASS_COLORS[l]) },
            legend: { title: "class", symbolType: "square", symbolSize: 180, symbolOpacity: 1, labelLimit: 280 },
          },
          opacity: { field: "opacity", type: "quantitative", scale: null },
        },
      },
      {
        mark: { type: "text", lineBreak: "\n", fontSize: 11, color: "#111", lineHeight: 14 },
        encoding: {
          x: { field: "x", type: "ordinal", sort: xs },
          y: { field: "y", type: "ordinal", sort: ys },
          text: { field: "text", type: "nominal" },
        },
      },
    ],
  };
  const size = { width: { step: 132 }, height: { step: 50 } }; // room for "0.82 [0.71, 0.90]"
  const top = { $schema: SCHEMA, config: THEME, ...(opts.title ? { title: opts.title } : {}), data: { values: rows } };
  if (opts.facet === undefined) return { ...top, ...size, ...cell };
  const facets = ordered(cells.map((c) => c.params[opts.facet!]!));
  const header = (v: string) => `${opts.facetTitle ?? opts.facet} = ${v}`;
  // A panel at least as wide as its header, so that neighbouring headers never meet (few x values).
  const widest = Math.max(...facets.map((f) => textWidth(header(f), THEME.header!.labelFontSize as number)));
  size.width.step = Math.max(size.width.step, Math.ceil(widest / xs.length));
  return {
    ...top,
    facet: {
      column: {
        field: "facet", type: "ordinal", sort: facets,
        header: {
          title: xTitle, titleOrient: "bottom", titleFontSize: THEME.axis!.titleFontSize, titlePadding: 4, // as an axis title
          labelOrient: "top", labelExpr: `${JSON.stringify(header(""))} + datum.value`, labelFontWeight: "bold",
        },
      },
    },
    spec: { ...size, ...cell },
    spacing: 18,
    resolve: { scale: { x: "shared", y: "shared" } },
  };
}
