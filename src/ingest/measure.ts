// Drives the lab's registered metrics on a probe log, as the trainer does on its shards: per-seed
// metrics from a SeedContext, then run-level ones (class and its bootstrap intervals, continual
// learning, maturity…) through the trainer's own RunAggregator. Which metrics a log can feed is
// not listed anywhere: each registered metric is tried once on a stand-in checkpoint, and those
// that read something a log does not hold (Unavailable) are skipped and named in the summary. A
// change to any metric (the churn rule, say) reaches ingested runs with no change here.
import { runMetrics, type MetricDef, type RunContext, type RunMetricDef, type SeedContext, type SeedMetric, type SeedMetricDef } from "../metrics/live/index.ts";
import type { MetricPoint } from "../store/index.ts";
import { RunAggregator } from "../train/aggregate.ts";
import type { RunPlan } from "../train/plan.ts";
import type { Checkpoint } from "./assemble.ts";
import { guarded, seedContext, Unavailable } from "./plan.ts";

export interface Skipped {
  metric: string;
  needs: string; // what it read that a probe log does not hold
}

export interface MeasureOptions {
  baselines: boolean; // the weighted-sum baselines' outputs are given
  reference?: SeedContext["reference"]; // their final outputs [S, envs·N, C]
  specialist?: RunContext["specialist"]; // per trained env, its specialist's accuracy per seed at init and at the end
}

export class Measurer {
  readonly defs: MetricDef[]; // measured, in registration order
  readonly skipped: Skipped[] = [];
  private seedMetrics: { name: string; m: SeedMetric }[];
  private readonly agg: RunAggregator;
  private readonly seeds: number[];

  constructor(private readonly plan: RunPlan, private readonly o: MeasureOptions) {
    this.seeds = Array.from({ length: plan.spec.seeds }, (_, s) => s);
    const all = runMetrics(plan, { baselines: o.baselines }).filter((d) => !plan.spec.metrics.skip.includes(d.kind));
    const usable = this.probe(all);
    this.defs = all.filter((d) => usable.has(d.kind));
    this.seedMetrics = this.defs.filter((d): d is SeedMetricDef => d.level === "seed").map((d) => ({ name: d.kind, m: d.create(plan, this.seeds) }));
    this.agg = new RunAggregator(plan, this.defs.filter((d): d is RunMetricDef => d.level === "run"), o.specialist);
  }

  /** Measures one checkpoint (checkpoints come in step order); returns every seed's values and the points to store. */
  measure(cp: Checkpoint): { values: Record<string, Float64Array>; points: MetricPoint[]; skippedNow: Skipped[] } {
    const { plan, seeds } = this, S = seeds.length;
    plan.checkpoints.push(cp.step);
    const ctx = seedContext(plan, cp, seeds, this.o.reference);
    const values: Record<string, Float64Array> = {}, skippedNow: Skipped[] = [];
    this.seedMetrics = this.seedMetrics.filter(({ name, m }) => {
      let out;
      try {
        out = m.measure(ctx);
      } catch (e) {
        if (!(e instanceof Unavailable)) throw e;
        skippedNow.push({ metric: name, needs: e.what }); // read something only at a later checkpoint: dropped from here on
        return false;
      }
      for (const [k, v] of Object.entries(out)) {
        if (!(v instanceof Float64Array) || v.length !== S) throw new Error(`metric ${name}: ${k} must be a Float64Array of ${S} values (one per seed)`);
        values[k] = v;
      }
      return true;
    });
    this.skipped.push(...skippedNow);
    const run = this.agg.add(cp.step, values);
    const points: MetricPoint[] = [];
    for (const [key, v] of Object.entries(values)) v.forEach((x, seed) => points.push({ step: cp.step, seed, key, value: Number.isFinite(x) ? x : null }));
    return { values, points: [...points, ...run], skippedNow };
  }

  /** The metrics that measure a stand-in checkpoint (uniform answers) without reading anything a log lacks. */
  private probe(defs: MetricDef[]): Set<string> {
    const { plan, seeds } = this, S = seeds.length, C = plan.world.classes, N = plan.probes.n;
    const u = (rows: number) => new Float32Array(S * rows * N * C).fill(1 / C);
    const cp: Checkpoint = { step: 0, outputs: u(plan.probes.envs), cf: u(plan.world.trained) };
    const ctx = seedContext(plan, cp, seeds, this.o.reference);
    const ok = new Set<string>(), values: Record<string, Float64Array> = {};
    const attempt = (d: MetricDef, f: () => Record<string, unknown>) => {
      try {
        const out = f();
        for (const [k, v] of Object.entries(out)) if (v instanceof Float64Array) values[k] = v;
        ok.add(d.kind);
      } catch (e) {
        if (!(e instanceof Unavailable)) throw e;
        this.skipped.push({ metric: d.kind, needs: e.what });
      }
    };
    for (const d of defs) if (d.level === "seed") attempt(d, () => d.create(plan, seeds).measure(ctx));
    const known = guarded(values, "per-seed value"); // a run metric reading a skipped metric's key is skipped too
    for (const d of defs) if (d.level === "run") attempt(d, () => d.create(plan).measure({ step: 0, plan, values: known, specialist: this.o.specialist }));
    return ok;
  }
}
