// The three behavioural classes, from the behavioural decomposition (docs/metrics.md):
// the generalist is unconditional, churn conditions on the timestep, the conditional policy
// conditions on the environment's features. With c = normalised conditionality and h =
// normalised churn (the change over time locked to the schedule's phases, so a run that is only
// still converging has h ≈ 0: metrics/alignment.ts), each divided by `saturation` and clamped to
// [0, 1], the soft scores are a product of two independent "yes/no" judgements, so they sum to 1
// with the fourth cell (both at once) left over as `mixed`. Saturation 0.5: a model counts as fully conditional (churning) once
// the cue (time) changes which teacher it follows by half as much as the teachers themselves differ;
// measured full switches stay below 1 because of transitions and imperfect accuracy.
import { bootstrapCi } from "./bootstrap.ts";

export const CLASSES = ["ecological-generalist", "conditional-policy", "strategy-churn"] as const;
export type ClassName = (typeof CLASSES)[number];
export type ClassLabel = ClassName | "unresolved";
/** Every label a run can get; `class/label` at seed −1 stores a label as its index here. */
export const LABEL_CODES = [...CLASSES, "unresolved"] as const;

/** Short metric-key names of the classes, e.g. `class/conditional`. */
export const CLASS_KEYS: Record<ClassName, string> = {
  "ecological-generalist": "generalist",
  "conditional-policy": "conditional",
  "strategy-churn": "churn",
};

export const classifyDefaults = {
  saturation: 0.5, // normalised conditionality or churn at which the judgement is a full "yes"
  threshold: 0.5, // a class needs a mean score of at least this much
  level: 0.95, // bootstrap confidence level over seeds
  resamples: 2000, // bootstrap resamples
};

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : NaN);

/** Soft scores of one model from its normalised conditionality c and churn h. */
export function classScores(c: number, h: number, saturation = classifyDefaults.saturation): Record<ClassName | "mixed", number> {
  const [cc, hh] = [clamp01(c / saturation), clamp01(h / saturation)];
  return {
    "ecological-generalist": (1 - cc) * (1 - hh),
    "conditional-policy": cc * (1 - hh),
    "strategy-churn": hh * (1 - cc),
    mixed: cc * hh,
  };
}

export interface Classification {
  label: ClassLabel;
  scores: Record<ClassName, number>; // mean over seeds
  ci: Record<ClassName, { lo: number; hi: number }>; // bootstrap interval of each mean
  n: number; // seeds used (diverged seeds are left out)
}

/**
 * The rule: the class with the highest mean score wins if that mean is at least `threshold` and
 * its interval's lower end lies above every other class's upper end; otherwise `unresolved`.
 */
export function classify(perSeed: Record<ClassName, ArrayLike<number>>, opts: Partial<typeof classifyDefaults> & { seed?: number } = {}): Classification {
  const o = { ...classifyDefaults, ...opts };
  const stats = Object.fromEntries(CLASSES.map((k) => [k, bootstrapCi(perSeed[k], { seed: o.seed ?? 0, level: o.level, resamples: o.resamples })])) as Record<ClassName, ReturnType<typeof bootstrapCi>>;
  const scores = Object.fromEntries(CLASSES.map((k) => [k, stats[k].mean])) as Record<ClassName, number>;
  const ci = Object.fromEntries(CLASSES.map((k) => [k, { lo: stats[k].lo, hi: stats[k].hi }])) as Classification["ci"];
  const n = stats["conditional-policy"].n;
  const best = [...CLASSES].sort((a, b) => (scores[b] || 0) - (scores[a] || 0))[0]!;
  const separated = CLASSES.every((k) => k === best || ci[best].lo > ci[k].hi);
  const label: ClassLabel = n > 0 && scores[best] >= o.threshold && separated ? best : "unresolved";
  return { label, scores, ci, n };
}
