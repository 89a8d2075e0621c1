// Run-level measurements, made in the main thread once every shard has reported a checkpoint:
// the registered run metrics (those that need a seed's whole history, or all seeds at once, like
// the classification and its bootstrap interval stored at seed −1).
import type { RunMetric } from "../metrics/live/index.ts";
import type { MetricPoint } from "../store/index.ts";
import type { RunPlan } from "./plan.ts";

export class RunAggregator {
  private readonly metrics: { name: string; m: RunMetric }[];

  constructor(
    private readonly plan: RunPlan,
    defs: { kind: string; create(plan: RunPlan): RunMetric }[],
    private readonly specialist?: { init: Float64Array; final: Float64Array }[], // per env: the specialist's accuracy per seed
  ) {
    this.metrics = defs.map((d) => ({ name: d.kind, m: d.create(plan) }));
  }

  /** Replays stored checkpoints (a resumed run) so that history-based metrics continue exactly. */
  replay(points: MetricPoint[]): void {
    for (const { m } of this.metrics) m.replay?.(points);
  }

  /** Adds the run metrics' per-seed values to `values` (per-seed arrays in seed order); returns their seed −1 points. */
  add(step: number, values: Record<string, Float64Array>): MetricPoint[] {
    const S = this.plan.spec.seeds, run: MetricPoint[] = [];
    for (const { name, m } of this.metrics) {
      const out = m.measure({ step, plan: this.plan, values, specialist: this.specialist });
      for (const [key, v] of Object.entries(out)) {
        if (v instanceof Float64Array) {
          if (v.length !== S) throw new Error(`metric ${name}: ${key} has ${v.length} values, expected one per seed (${S})`);
          values[key] = v;
        } else run.push({ step, seed: -1, key, value: v !== null && Number.isFinite(v) ? v : null });
      }
    }
    return run;
  }
}
