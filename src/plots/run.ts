// The standard picture of one run: performance per environment, the behavioural decomposition
// with the class scores, and mechanism metrics, stacked on the schedule's phases.
import type { MetricPoint, Phase } from "../store/types.ts";
import { panelsSpec } from "./curves.ts";
import type { VlSpec } from "./render.ts";

export function runPanelsSpec(points: readonly MetricPoint[], phases: readonly Phase[], title?: string): VlSpec {
  const has = (prefix: string) => points.some((p) => p.key.startsWith(prefix));
  const groups = [
    { title: "accuracy per environment (mean ± sd over seeds)", prefix: "perf/acc:", yDomain: [0, 1] as [number, number] },
    { title: "behaviour: what depends on the cue, what on time", keys: ["behav/cond", "behav/churn"], yDomain: [0, 1.2] as [number, number], labels: { "behav/cond": "conditionality", "behav/churn": "churn" } },
    { title: "class scores", keys: ["class/generalist", "class/conditional", "class/churn"], yDomain: [0, 1] as [number, number] },
    { title: "mechanism", keys: ["route/decode:L1", "route/conflict", "rep/ckaEnv"].filter((k) => points.some((p) => p.key === k)) },
  ].filter((g) => ("prefix" in g ? has(g.prefix!) : g.keys!.length > 0 && g.keys!.every((k) => points.some((p) => p.key === k))));
  return panelsSpec(points, groups, phases, { title });
}
