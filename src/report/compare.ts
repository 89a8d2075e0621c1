// Two or more runs on the same axes: one panel per metric, one colour per run (the same colour in
// every panel), each run's mean over its seeds with its own band of spread. Schedules differ
// between runs, so no phase background is drawn here. Panels are titled by the metrics' descriptors.

import type { MetricDescriptor } from "../metrics/live/index.ts";
import { describeKeys, panelsSpec, PANELS, presentKeys, type VlSpec } from "../plots/index.ts";
import type { MetricPoint } from "../store/types.ts";

export interface CompareRun {
  id: string;
  label: string; // legend entry, e.g. "quickstart (r9c15637)"; must be unique
  points: readonly MetricPoint[];
  metrics?: readonly MetricDescriptor[]; // the run's stored descriptors (RunRow.metrics)
}

/** Descriptors of every key some run has a finite value of, in reading order (the first run's stored descriptor of a key wins). */
export function compareDescriptors(runs: readonly CompareRun[]): MetricDescriptor[] {
  return describeKeys(new Set(runs.flatMap((r) => [...presentKeys(r.points)])), runs.flatMap((r) => r.metrics ?? []));
}

/** The metrics compared when none are asked for: accuracy on every environment, then behaviour. */
export function defaultCompareKeys(runs: readonly CompareRun[]): string[] {
  const ds = compareDescriptors(runs);
  return [PANELS.accuracy, PANELS.behaviour].flatMap((p) => ds.filter((d) => d.panel === p).map((d) => d.key));
}

export function compareSpec(runs: readonly CompareRun[], metrics: readonly string[]): VlSpec {
  if (runs.length < 1) throw new RangeError("compareSpec: expected at least one run, got none");
  if (new Set(runs.map((r) => r.label)).size !== runs.length) throw new RangeError("compareSpec: run labels must be unique");
  // One synthetic key per (metric, run): the panels' legends then list runs, in the order given.
  const wanted = new Set(metrics);
  const key = (metric: string, i: number) => `${metric}\u0000${i}`;
  const points: MetricPoint[] = [];
  runs.forEach((r, i) => {
    for (const p of r.points) if (wanted.has(p.key)) points.push({ ...p, key: key(p.key, i) });
  });
  const described = describeKeys(metrics, runs.flatMap((r) => r.metrics ?? []));
  const groups = metrics.map((m) => {
    const d = described.find((x) => x.key === m)!;
    return {
      title: d.title === m ? m : `${d.title} (${m})`,
      keys: runs.map((_, i) => key(m, i)),
      labels: Object.fromEntries(runs.map((r, i) => [key(m, i), r.label])),
      ...(d.range && { yDomain: d.range }), ...(d.axis !== undefined && { yTitle: d.axis }),
    };
  });
  return panelsSpec(points, groups, [], { height: 150 });
}
