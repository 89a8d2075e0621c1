// The three behavioural classes, live (metrics/classify.ts): every seed's soft scores from its
// conditionality and phase-locked churn (behav/cond, behav/churn), and at seed −1 the run's label
// with each class's bootstrap interval. A run still converging is flagged by behav/converging, not here.
import { CLASS_KEYS, CLASSES, LABEL_CODES, classScores, classify, type ClassName } from "../classify.ts";
import { defineMetric } from "./metric.ts";

/** The keys this metric writes, for readers of stored runs (the report's class table). */
export const classKeys = {
  score: (k: ClassName) => `class/${CLASS_KEYS[k]}`, // per seed
  label: "class/label", // seed −1: the index of the label in LABEL_CODES
  lo: (k: ClassName) => `class/lo:${CLASS_KEYS[k]}`, // seed −1: the bootstrap interval's ends
  hi: (k: ClassName) => `class/hi:${CLASS_KEYS[k]}`,
};
const scoreKey = classKeys.score;

/** The classification of one checkpoint from its per-seed scores (bootstrap seeded by the step). */
export function classificationOf(values: Record<string, Float64Array>, step: number) {
  if (!CLASSES.every((k) => values[scoreKey(k)])) return null;
  return classify(Object.fromEntries(CLASSES.map((k) => [k, values[scoreKey(k)]!])) as Record<ClassName, Float64Array>, { seed: step });
}

export const classes = defineMetric({
  name: "classes",
  level: "run",
  keys: [
    ...CLASSES.map((k) => ({ key: scoreKey(k), title: `${k} score`, axis: "score", range: [0, 1] as [number, number], panel: "class scores" })),
    { key: classKeys.label, title: `class label (${LABEL_CODES.map((l, i) => `${i} = ${l}`).join(", ")})`, axis: "class", range: [0, LABEL_CODES.length - 1] },
    ...CLASSES.flatMap((k) => [
      { key: classKeys.lo(k), title: `${k} score, lower end of the 95% bootstrap interval`, axis: "score", range: [0, 1] as [number, number] },
      { key: classKeys.hi(k), title: `${k} score, upper end of the 95% bootstrap interval`, axis: "score", range: [0, 1] as [number, number] },
    ]),
  ],
  // the class at the last checkpoint, with bootstrap intervals over seeds
  summary: (last, step) => ({ classification: classificationOf(last, step) }),
  create: () => ({
    measure(ctx) {
      const cond = ctx.values["behav/cond"]!, churn = ctx.values["behav/churn"]!, S = cond.length;
      const out: Record<string, Float64Array | number | null> = {};
      const scores = Object.fromEntries(CLASSES.map((k) => [scoreKey(k), new Float64Array(S)]));
      for (let s = 0; s < S; s++) {
        const sc = classScores(cond[s]!, churn[s]!);
        for (const k of CLASSES) scores[scoreKey(k)]![s] = sc[k];
      }
      Object.assign(out, scores);
      const c = classificationOf(scores, ctx.step)!;
      out[classKeys.label] = LABEL_CODES.indexOf(c.label);
      for (const k of CLASSES) {
        out[classKeys.lo(k)] = fin(c.ci[k].lo);
        out[classKeys.hi(k)] = fin(c.ci[k].hi);
      }
      return out;
    },
  }),
});

const fin = (v: number) => (Number.isFinite(v) ? v : null);
