// The figures of one run, as vega-lite specs built by src/plots: the dashboard compiles them for
// the browser, the report renders them to inline SVG, so both show exactly the same pictures.
// A figure whose metrics have no finite value yet (a run that just started, a metric that is NaN
// by definition for this schedule) is left out rather than drawn as an empty frame.

import { curvesSpec, matrixSpec, panelsSpec, type PanelGroup, type VlSpec } from "../plots/index.ts";
import { naturalCompare } from "../plots/_data.ts";
import type { MetricPoint, Phase } from "../store/types.ts";

export interface Figure {
  id: string; // stable name, used as a DOM hook and in report anchors
  title: string; // caption
  spec: VlSpec;
}

/** Keys with at least one finite value, in natural order. */
export function presentKeys(points: readonly MetricPoint[]): Set<string> {
  const keys = new Set<string>();
  for (const p of points) if (p.value !== null && Number.isFinite(p.value)) keys.add(p.key);
  return keys;
}

const byPrefix = (keys: Set<string>, prefix: string) => [...keys].filter((k) => k.startsWith(prefix)).sort(naturalCompare);

// Mechanism panels: routing and representation on [0, 1], conflict on [-1, 1], dimension unbounded.
const MECHANISM: readonly { title: string; keys: (k: Set<string>) => string[]; yDomain?: [number, number] }[] = [
  { title: "routing: cue decodability, selectivity, mask overlap", keys: (k) => [...byPrefix(k, "route/decode:"), "route/selective", "route/maskOverlap"], yDomain: [0, 1] },
  { title: "gradient conflict between environments (cosine)", keys: () => ["route/conflict"], yDomain: [-1, 1] },
  { title: "representation: CKA across cues and across checkpoints", keys: () => ["rep/ckaEnv", "rep/ckaTime"], yDomain: [0, 1] },
  { title: "representation dimension (participation ratio)", keys: () => ["rep/dim"] },
  { title: "continual learning: average, forgetting, retention", keys: () => ["cl/avg", "cl/forgetting", "cl/retention"] },
];

const CLASS_SHORT = { "class/generalist": "generalist", "class/conditional": "conditional", "class/churn": "churn" };

/** Every figure the run's metrics can fill, in reading order. */
export function runFigures(points: readonly MetricPoint[], phases: readonly Phase[]): Figure[] {
  const keys = presentKeys(points);
  const has = (k: string) => keys.has(k);
  const figures: Figure[] = [];
  if (byPrefix(keys, "perf/acc:").length > 0) {
    figures.push({
      id: "performance", title: "accuracy per environment (mean ± sd over seeds; schedule phases behind)",
      spec: curvesSpec(points, { keys: byPrefix(keys, "perf/acc:"), labels: envLabels(byPrefix(keys, "perf/acc:")), phases, yDomain: [0, 1], yTitle: "accuracy" }),
    });
    figures.push({
      id: "matrix", title: "performance matrix P[t][k]: accuracy per environment over time (outlined: the environment in training)",
      spec: matrixSpec(points, { keys: byPrefix(keys, "perf/acc:"), phases }),
    });
  }
  const behav = ["behav/cond", "behav/churn"].filter(has);
  if (behav.length > 0) {
    figures.push({
      id: "behaviour", title: "behavioural decomposition: what depends on the cue (conditionality), what on time (churn)",
      spec: curvesSpec(points, { keys: behav, labels: { "behav/cond": "conditionality", "behav/churn": "churn" }, phases, yTitle: "normalised" }),
    });
  }
  const classes = Object.keys(CLASS_SHORT).filter(has);
  if (classes.length > 0) {
    figures.push({
      id: "classes", title: "class scores (mean ± sd over seeds)",
      spec: curvesSpec(points, { keys: classes, labels: CLASS_SHORT, phases, yDomain: [0, 1], yTitle: "score" }),
    });
  }
  const groups: PanelGroup[] = MECHANISM
    .map((g) => ({ title: g.title, keys: g.keys(keys).filter(has), ...(g.yDomain && { yDomain: g.yDomain }) }))
    .filter((g) => g.keys.length > 0);
  if (groups.length > 0) {
    figures.push({ id: "mechanism", title: "mechanism metrics over time", spec: panelsSpec(points, groups, phases, { height: 130 }) });
  }
  return figures;
}

/** "perf/acc:A" → "A": legends name the environments. */
function envLabels(keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, k.slice(k.indexOf(":") + 1)]));
}
