// The picture of a structural stability map: three heatmaps over learning rate × momentum, side
// by side: final loss, fraction of seeds diverged, and spread across seeds. Each cell also
// carries its number, so the figure reads in greyscale and in print.
import { SCHEMA, THEME, type VlSpec } from "../plots/render.ts";
import type { StabilityMap } from "./map.ts";

const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "—");

/** Vega-lite spec of the map (deterministic: the same map gives the same picture). */
export function stabilityMapSpec(map: StabilityMap, title?: string): VlSpec {
  const xs = map.lrs.map(String);
  const ys = map.momenta.map(String).reverse(); // largest momentum at the top
  // Ink per cell: white on the dark end of each colour scale, black elsewhere.
  const span = (xs: number[]) => { const f = xs.filter(Number.isFinite); return [Math.min(...f), Math.max(...f)] as const; };
  const at = (v: number, [lo, hi]: readonly [number, number]) => (hi > lo ? (v - lo) / (hi - lo) : 0);
  const lossSpan = span(map.cells.map((c) => c.loss)), spreadSpan = span(map.cells.map((c) => c.spread));
  const ink = (dark: boolean) => (dark ? "white" : "#111");
  const rows = map.cells.map((c) => ({
    lr: String(c.lr), momentum: String(c.momentum),
    // null, not NaN: vega leaves null cells uncoloured (and drawn by the grey backdrop layer)
    loss: Number.isFinite(c.loss) ? c.loss : null, diverged: c.diverged, spread: Number.isFinite(c.spread) ? c.spread : null,
    lossText: Number.isFinite(c.loss) ? fmt(c.loss, 2) : "diverged",
    divergedText: fmt(c.diverged, 2), spreadText: fmt(c.spread, 3),
    lossInk: ink(at(c.loss, lossSpan) > 0.6), divergedInk: ink(c.diverged > 0.6), spreadInk: ink(at(c.spread, spreadSpan) < 0.35),
  }));
  const x = { field: "lr", type: "ordinal" as const, sort: xs, scale: { domain: xs }, title: "learning rate", axis: { labelAngle: -30 } };
  const y = { field: "momentum", type: "ordinal" as const, sort: ys, scale: { domain: ys }, title: map.optimizer === "adam" ? "momentum (Adam β1)" : "momentum" };
  const panel = (field: string, heading: string, scale: object) => ({
    title: { text: heading, fontSize: 13 },
    width: { step: 64 }, height: { step: 40 },
    layer: [
      { mark: { type: "rect" as const, color: "#dddddd" }, encoding: { x, y } }, // backdrop: cells with no value
      {
        mark: { type: "rect" as const, stroke: "white", strokeWidth: 1.5 },
        encoding: { x, y, color: { field, type: "quantitative" as const, scale, legend: { title: null, orient: "bottom" as const, gradientLength: 150 } } },
      },
      {
        mark: { type: "text" as const, fontSize: 10 },
        encoding: { x, y, text: { field: `${field}Text`, type: "nominal" as const }, color: { condition: { test: `datum.${field}Ink === "white"`, value: "white" }, value: "#111" } },
      },
    ],
  });
  return {
    $schema: SCHEMA, config: THEME,
    title: title ?? `${map.spec}: structural stability (${map.seeds} seeds per cell, ${map.optimizer})`,
    data: { values: rows },
    hconcat: [
      panel("loss", "final loss (probe cross-entropy)", { scheme: "viridis", reverse: true, zero: false }),
      panel("diverged", "fraction of seeds diverged", { range: ["#f7f7f7", "#b2182b"], domain: [0, 1] }), // 0 reads as blank
      panel("spread", "spread across seeds (mean JS, bits)", { scheme: "viridis", zero: true }),
    ],
    resolve: { scale: { color: "independent" } },
  } as VlSpec;
}
