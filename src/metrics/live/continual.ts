// Continual-learning metrics along the run (metrics/timeline.ts: the matrix functions of
// metrics/continual.ts on the checkpoint matrix so far, so live and offline values agree) and
// maturity before each switch (metrics/maturity.ts), from every seed's accuracy history on the
// trained environments. Run-level: they need the whole history, which the shards do not keep; a
// resumed run replays it from the store.
import type { MetricPoint } from "../../store/types.ts";
import type { RunPlan } from "../../train/plan.ts";
import { maturityNow } from "../maturity.ts";
import { continualNow, type Timeline } from "../timeline.ts";
import { defineMetric, type RunContext } from "./metric.ts";
import { accuracyKey } from "./perf.ts";

/** Every seed's accuracy on the trained environments at every checkpoint so far. */
class Timelines {
  readonly seeds: Timeline[];
  constructor(private readonly plan: RunPlan) {
    this.seeds = Array.from({ length: plan.spec.seeds }, () => ({ steps: [], acc: [] }));
  }
  add(step: number, values: Record<string, Float64Array>): void {
    this.seeds.forEach((t, s) => {
      t.steps.push(step);
      t.acc.push(this.plan.envNames.map((e) => values[accuracyKey(e)]![s]!));
    });
  }
  replay(points: MetricPoint[]): void {
    const acc = new Map<string, number>(), keys = new Set(this.plan.envNames.map(accuracyKey));
    for (const p of points) if (keys.has(p.key)) acc.set(`${p.seed}|${p.step}|${p.key}`, p.value ?? NaN);
    for (const step of [...new Set(points.map((p) => p.step))].sort((a, b) => a - b))
      this.seeds.forEach((t, s) => {
        t.steps.push(step);
        t.acc.push(this.plan.envNames.map((e) => acc.get(`${s}|${step}|${accuracyKey(e)}`) ?? NaN));
      });
  }
}

/** A run metric computed seed by seed from the timelines. */
function perSeed(plan: RunPlan, f: (t: Timeline, s: number, ctx: RunContext) => Record<string, number>) {
  const timelines = new Timelines(plan);
  return {
    replay: (points: MetricPoint[]) => timelines.replay(points),
    measure(ctx: RunContext) {
      timelines.add(ctx.step, ctx.values);
      const out: Record<string, Float64Array> = {};
      timelines.seeds.forEach((t, s) => {
        for (const [k, v] of Object.entries(f(t, s, ctx))) (out[k] ??= new Float64Array(timelines.seeds.length))[s] = v;
      });
      return out;
    },
  };
}

const cl = "continual learning: average, forgetting, retention";
export const continual = defineMetric({
  name: "continual",
  level: "run",
  keys: [
    { key: "cl/avg", title: "average accuracy on the environments trained so far", axis: "accuracy", range: [0, 1], panel: cl },
    // the envs learned before the one in training now; negative where one is above its earlier best
    { key: "cl/forgetting", title: "forgetting (Chaudhry et al. 2018)", axis: "accuracy", range: [-1, 1], headline: true, panel: cl },
    { key: "cl/retention", title: "retention of the best accuracy", axis: "ratio", range: [0, 1], panel: cl },
    { key: "cl/bwt", title: "backward transfer (Lopez-Paz & Ranzato 2017)", axis: "accuracy", range: [-1, 1], headline: true, panel: "continual learning: transfer" },
    { key: "cl/fwt", title: "forward transfer (Lopez-Paz & Ranzato 2017)", axis: "accuracy", range: [-1, 1], panel: "continual learning: transfer" },
  ],
  create: (plan) => perSeed(plan, (t) => continualNow(t, plan.schedule.phases, plan.envNames)),
});

export const maturity = defineMetric({
  name: "maturity",
  level: "run",
  keys: [
    { key: "mature/level:{trained}", title: "maturity before the switch on {trained} (fraction of the specialist's gain)", axis: "fraction", headline: true, panel: "maturity before each switch" },
    { key: "mature/recover:{trained}", title: "steps to recover {trained}", axis: "steps", panel: "steps to recover after a return" },
    { key: "mature/unrecovered:{trained}", title: "phases of {trained} that never recovered", axis: "phases", panel: "steps to recover after a return" },
  ],
  create: (plan) => perSeed(plan, (t, s, ctx) =>
    maturityNow(t, plan.schedule.phases, plan.envNames, ctx.specialist?.map((x) => ({ init: x.init[s]!, final: x.final[s]! })))),
});
