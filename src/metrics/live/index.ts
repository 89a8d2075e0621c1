// Live metrics: the registry, the built-ins, and the descriptors of a run's keys. A new metric is
// one file plus one line here (or a plugin file named in a spec's `plugins:`); no other file lists
// its keys. Registration order is the order of the CLI summary, figures and tables.
import { Registry } from "../../components/registry.ts";
import type { RunPlan } from "../../train/plan.ts";
import { behaviour } from "./behaviour.ts";
import { classes } from "./classes.ts";
import { conflict } from "./conflict.ts";
import { continual, maturity } from "./continual.ts";
import { representation, routing } from "./mechanism.ts";
import type { MetricDef, MetricDescriptor } from "./metric.ts";
import { perf, trainLoss } from "./perf.ts";
import { plasticity, plasticityFresh } from "./plasticity.ts";
import { attention, completion } from "./sequence.ts";
import { weightedSum } from "./weightedsum.ts";

export type { Measured, MetricDef, MetricDescriptor, RunContext, RunMetric, RunMetricDef, SeedContext, SeedMetric, SeedMetricDef } from "./metric.ts";
export { defineMetric } from "./metric.ts";
export { classificationOf, classKeys } from "./classes.ts";
export { accuracyKey, rewardKey } from "./perf.ts";

export const metrics = new Registry<MetricDef>("metric");
for (const m of [perf, completion, behaviour, classes, routing, conflict, representation, attention, continual, maturity, plasticity, plasticityFresh, weightedSum, trainLoss]) metrics.add(m);

/** The metrics a run measures, in registration order: the built-ins and its own plugins' (a plugin loaded for another spec is not measured). */
export function runMetrics(plan: RunPlan, o: { baselines: boolean }): MetricDef[] {
  return metrics.available(plan.spec.plugins).filter((m) => m.enabled?.(plan, o) ?? true);
}

/** A run's descriptors with the placeholders expanded: one per concrete key. */
export function runDescriptors(plan: RunPlan, defs: MetricDef[]): MetricDescriptor[] {
  const names = {
    env: plan.allEnvNames,
    trained: plan.envNames,
    layer: plan.model.hidden.map((_, l) => `L${l + 1}`),
  };
  return defs.flatMap((m) => m.keys.flatMap((d) => expand(d, names)));
}

function expand(d: MetricDescriptor, names: Record<string, string[]>): MetricDescriptor[] {
  const slot = /\{(env|trained|layer)\}/.exec(d.key)?.[1];
  if (!slot) return [d];
  const sub = (s: string | undefined, v: string) => s?.replaceAll(`{${slot}}`, v);
  return names[slot]!.flatMap((v) => expand({ ...d, key: sub(d.key, v)!, title: sub(d.title, v)!, ...(d.axis && { axis: sub(d.axis, v) }), ...(d.panel && { panel: sub(d.panel, v) }) }, names));
}

/**
 * The descriptor of a stored key: from the run's own stored descriptors when given, else from a
 * registered metric whose pattern matches, else a plain one (a plugin's key stored by a run whose
 * plugin is not loaded here): every stored metric can be shown.
 */
export function describeKey(key: string, stored?: readonly MetricDescriptor[]): MetricDescriptor {
  const own = stored?.find((d) => d.key === key);
  if (own) return own;
  for (const m of metrics.all())
    for (const d of m.keys) {
      const re = new RegExp("^" + d.key.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{(env|trained|layer)\\?\}/g, "(.+)") + "$");
      const hit = re.exec(key);
      const sub = (t: string) => t.replace(/\{(env|trained|layer)\}/g, hit?.[1] ?? "");
      if (hit) return { ...d, key, title: sub(d.title), ...(d.axis && { axis: sub(d.axis) }), ...(d.panel && { panel: sub(d.panel) }) };
    }
  const group = key.includes("/") ? key.slice(0, key.indexOf("/")) : key;
  return { key, title: key, panel: group };
}
