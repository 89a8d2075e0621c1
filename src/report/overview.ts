// The numbers that sit beside a run's pictures: its class with the confidence interval, accuracy
// and reward per environment, and the headline metrics, each over seeds at the last checkpoint.
// Read from the metric points rather than only the summary, so a run still in progress (no
// summary yet) gets the same tables as a finished one, updated live.

import { CLASSES, LABEL_CODES } from "../metrics/classify.ts";
import { accuracyKey, classKeys, rewardKey } from "../metrics/live/index.ts";
import { describeKeys, isDescribed } from "../plots/index.ts";
import type { MetricPoint, RunRow } from "../store/types.ts";
import { naturalCompare } from "../util/order.ts";
import { mean, sd } from "../util/stats.ts";

/** Mean and sample sd over seeds; null when no seed has a finite value. */
export interface Stat {
  mean: number | null;
  sd: number | null;
  n: number; // seeds with a finite value
}

export interface ClassView {
  label: string; // a class name or "unresolved"
  scores: Record<string, number>; // mean soft score per class
  ci: Record<string, { lo: number; hi: number }>; // 95% bootstrap interval per class
  source: "summary" | "checkpoint"; // the finished run's verdict, or the live one at `step`
}

export interface RunOverview {
  step: number | null; // last checkpoint written, null before the first
  classification: ClassView | null;
  performance: { env: string; acc: Stat; reward: Stat }[]; // trained environments first, then novel ones
  headline: { key: string; title: string; stat: Stat }[]; // keys whose descriptor is a headline, and keys no descriptor describes (a plugin's), in reading order
}

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);

export function stat(values: readonly (number | null)[]): Stat {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, sd: null, n };
  const m = mean(xs);
  return { mean: m, sd: sd(xs, m), n };
}

/** Per-seed values (seed ≥ 0) and run-level ones (seed -1) of the points at one step, by key. */
function atStep(points: readonly MetricPoint[], step: number) {
  const seeds = new Map<string, (number | null)[]>();
  const run = new Map<string, number | null>();
  for (const p of points) {
    if (p.step !== step) continue;
    if (p.seed < 0) run.set(p.key, p.value);
    else (seeds.get(p.key) ?? seeds.set(p.key, []).get(p.key)!).push(p.value);
  }
  return { seeds, run };
}

/** The finished run's classification, read defensively: old or failed runs have none. */
function fromSummary(summary: unknown): ClassView | null {
  const c = isObj(summary) ? summary.classification : undefined;
  if (!isObj(c) || typeof c.label !== "string" || !isObj(c.scores)) return null;
  return { label: c.label, scores: c.scores, ci: isObj(c.ci) ? c.ci : {}, source: "summary" };
}

function fromCheckpoint(at: ReturnType<typeof atStep>): ClassView | null {
  const code = at.run.get(classKeys.label);
  if (code === undefined || code === null) return null;
  const scores: Record<string, number> = {};
  const ci: Record<string, { lo: number; hi: number }> = {};
  for (const name of CLASSES) {
    const mean = stat(at.seeds.get(classKeys.score(name)) ?? []).mean;
    if (mean !== null) scores[name] = mean;
    const lo = at.run.get(classKeys.lo(name)), hi = at.run.get(classKeys.hi(name));
    if (typeof lo === "number" && typeof hi === "number") ci[name] = { lo, hi };
  }
  return { label: LABEL_CODES[code] ?? "unresolved", scores, ci, source: "checkpoint" };
}

/** `run.metrics`: the run's stored descriptors; without them, the registered metrics describe its keys. */
export function runOverview(run: Pick<RunRow, "envs" | "status" | "summary"> & Partial<Pick<RunRow, "metrics">>, points: readonly MetricPoint[]): RunOverview {
  let last: number | null = null;
  for (const p of points) if (last === null || p.step > last) last = p.step;
  if (last === null) return { step: null, classification: null, performance: [], headline: [] };
  const at = atStep(points, last);
  // A completed run's stored verdict is the one its report quotes; live runs show the checkpoint's.
  const classification = (run.status === "completed" ? fromSummary(run.summary) : null) ?? fromCheckpoint(at);
  const acc = accuracyKey("");
  const measured = [...at.seeds.keys()].filter((k) => k.startsWith(acc)).map((k) => k.slice(acc.length));
  const novel = measured.filter((e) => !run.envs.includes(e)).sort(naturalCompare);
  const envs = [...run.envs.filter((e) => measured.includes(e)), ...novel];
  const performance = envs.map((env) => ({
    env, acc: stat(at.seeds.get(accuracyKey(env)) ?? []), reward: stat(at.seeds.get(rewardKey(env)) ?? []),
  }));
  const headline = describeKeys(new Set([...at.seeds.keys(), ...at.run.keys()]), run.metrics)
    .filter((d) => d.headline || !isDescribed(d.key, run.metrics))
    .map((d) => ({ key: d.key, title: d.title, stat: stat(at.seeds.get(d.key) ?? [at.run.get(d.key) ?? null]) }));
  return { step: last, classification, performance, headline };
}

/** The spec fields the runs list filters on, read defensively from the stored spec JSON. */
export interface SpecFields {
  schedule: string | null; // mixture, blocks or markov
  distinguishability: number | null;
  similarity: number | null;
  hidden: number[] | null;
  bottleneck: number | null;
}

export function specFields(specJson: string): SpecFields {
  let s: unknown;
  try {
    s = JSON.parse(specJson);
  } catch {
    s = undefined;
  }
  const o = isObj(s) ? s : {};
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const hidden = isObj(o.model) && Array.isArray(o.model.hidden) && o.model.hidden.every((h: unknown) => typeof h === "number") ? o.model.hidden as number[] : null;
  return {
    schedule: isObj(o.schedule) && typeof o.schedule.kind === "string" ? o.schedule.kind : null,
    distinguishability: isObj(o.world) ? num(o.world.distinguishability) : null,
    similarity: isObj(o.world) ? num(o.world.similarity) : null,
    hidden,
    bottleneck: isObj(o.model) ? num(o.model.bottleneck) : null,
  };
}

/** The class a run is filed under in lists: its stored verdict; null while running or when it has none. */
export function runClass(run: Pick<RunRow, "summary">): string | null {
  return fromSummary(run.summary)?.label ?? null;
}
