// Two or more runs on the same axes: one panel per metric, one colour per run (the same colour in
// every panel), each run's mean over its seeds with its own band of spread. Schedules differ
// between runs, so no phase background is drawn here.

import { panelsSpec, type VlSpec } from "../plots/index.ts";
import { naturalCompare } from "../plots/_data.ts";
import type { MetricPoint } from "../store/types.ts";
import { presentKeys } from "./figures.ts";

export interface CompareRun {
  id: string;
  label: string; // legend entry, e.g. "quickstart (r9c15637)"; must be unique
  points: readonly MetricPoint[];
}

/** The metrics compared when none are asked for: accuracy on every environment, then behaviour. */
export function defaultCompareKeys(runs: readonly CompareRun[]): string[] {
  const present = new Set(runs.flatMap((r) => [...presentKeys(r.points)]));
  const perf = [...present].filter((k) => k.startsWith("perf/acc:")).sort(naturalCompare);
  return [...perf, ...["behav/cond", "behav/churn"].filter((k) => present.has(k))];
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
  const groups = metrics.map((m) => ({
    title: m,
    keys: runs.map((_, i) => key(m, i)),
    labels: Object.fromEntries(runs.map((r, i) => [key(m, i), r.label])),
    ...(m.startsWith("perf/acc:") || m.startsWith("class/") ? { yDomain: [0, 1] as [number, number] } : {}),
  }));
  return panelsSpec(points, groups, [], { height: 150 });
}
