// Run-level measurements, made in the main thread once every shard has reported a checkpoint:
// metrics that need a seed's whole history (continual learning) or all seeds at once (the
// classification and its bootstrap interval, stored at seed −1).
import { CLASS_KEYS, CLASSES, classify, type ClassLabel, type Classification, type ClassName } from "../metrics/classify.ts";
import { maturityNow } from "../metrics/maturity.ts";
import { continualNow, type Timeline } from "../metrics/timeline.ts";
import type { MetricPoint } from "../store/index.ts";
import type { RunPlan } from "./plan.ts";

/** Numeric codes for `class/label` at seed −1, so the label can be plotted over time. */
export const LABEL_CODES: Record<ClassLabel, number> = { "ecological-generalist": 0, "conditional-policy": 1, "strategy-churn": 2, unresolved: 3 };

export class RunAggregator {
  private readonly timelines: Timeline[];
  last: Classification | undefined;

  constructor(
    private readonly plan: RunPlan,
    private readonly specialist?: { init: Float64Array; final: Float64Array }[], // per env: the specialist's accuracy per seed
  ) {
    this.timelines = Array.from({ length: plan.spec.seeds }, () => ({ steps: [], acc: [] }));
  }

  /** Replays stored checkpoints (a resumed run) so that history-based metrics continue exactly. */
  replay(points: MetricPoint[]): void {
    const bySeedStep = new Map<string, number>();
    for (const p of points) if (p.key.startsWith("perf/acc:")) bySeedStep.set(`${p.seed}|${p.step}|${p.key}`, p.value ?? NaN);
    const steps = [...new Set(points.map((p) => p.step))].sort((a, b) => a - b);
    for (const step of steps)
      this.timelines.forEach((t, s) => {
        t.steps.push(step);
        t.acc.push(this.plan.envNames.map((e) => bySeedStep.get(`${s}|${step}|perf/acc:${e}`) ?? NaN));
      });
    const last = steps[steps.length - 1];
    if (last !== undefined) {
      const scores = Object.fromEntries(CLASSES.map((k) => [k, this.timelines.map(() => NaN)])) as Record<ClassName, number[]>;
      for (const p of points) if (p.step === last && p.seed >= 0) for (const k of CLASSES) if (p.key === `class/${CLASS_KEYS[k]}`) scores[k][p.seed] = p.value ?? NaN;
      this.last = classify(scores, { seed: last });
    }
  }

  /** Adds the run-level metrics of a merged checkpoint (per-seed arrays in seed order). */
  add(step: number, m: Record<string, Float64Array>): void {
    const { envNames, schedule } = this.plan;
    const cl: Record<string, Float64Array> = {};
    this.timelines.forEach((t, s) => {
      t.steps.push(step);
      t.acc.push(envNames.map((e) => m[`perf/acc:${e}`]![s]!));
      const sp = this.specialist?.map((x) => ({ init: x.init[s]!, final: x.final[s]! }));
      const values = { ...continualNow(t, schedule.phases, envNames), ...maturityNow(t, schedule.phases, envNames, sp) };
      for (const [k, v] of Object.entries(values)) (cl[k] ??= new Float64Array(this.timelines.length))[s] = v;
    });
    Object.assign(m, cl);
    const scores = Object.fromEntries(CLASSES.map((k) => [k, m[`class/${CLASS_KEYS[k]}`]!])) as Record<ClassName, Float64Array>;
    this.last = classify(scores, { seed: step });
  }

  /** The seed −1 points of the latest classification. */
  runPoints(step: number): MetricPoint[] {
    const c = this.last!;
    const pts: MetricPoint[] = [{ step, seed: -1, key: "class/label", value: LABEL_CODES[c.label] }];
    for (const k of CLASSES) {
      const name = CLASS_KEYS[k];
      pts.push({ step, seed: -1, key: `class/lo:${name}`, value: fin(c.ci[k].lo) });
      pts.push({ step, seed: -1, key: `class/hi:${name}`, value: fin(c.ci[k].hi) });
    }
    return pts;
  }
}

const fin = (v: number) => (Number.isFinite(v) ? v : null);
