// Stability of a trainer (SPEC claim 5): train the base spec and its variants along each
// perturbation dimension, then measure how far apart the outcomes land: functional distance of
// the final models in and off distribution, agreement of their class labels, dispersion of the
// key metrics, a ranking of the dimensions by the spread they cause, and where path dependence
// shows (equal performance in distribution, different behaviour off it).
import type { ExperimentSpec } from "../experiment/schema.ts";
import { metrics, runDescriptors } from "../metrics/live/index.ts";
import { PANELS } from "../plots/index.ts";
import { specHash, type RunPlan } from "../train/plan.ts";
import { finite, mean as meanOf, sd as sdOf } from "../util/stats.ts";
import { withDefaults } from "./_options.ts";
import { type CertifiedSpread, certifySpread } from "./disagree.ts";
import { DIMENSIONS, type Dimension, type PerturbOptions, planDimension, studyBase } from "./perturb.ts";
import { ensureRun, layoutOf, type StudyOptions, type TrainedRun } from "./runs.ts";
import { type PairStats, accuracy, alive, matchedSpread, seedSpread } from "./spread.ts";

export const stabilityDefaults = {
  pathTolerance: 0.05, // in-distribution accuracy gap below which two outcomes count as "equally good"
  pathMinDisagreement: 0.2, // off-distribution disagreement (fraction of probes answered differently) needed to call behaviour divergent
};

export interface StabilityOptions extends StudyOptions, PerturbOptions, Partial<typeof stabilityDefaults> {
  perturb?: Dimension[]; // default: all of seed, data, lr, momentum
  certify?: { nodes?: number }; // add the certified column: a bound on KL over the probes' box for every matched pair
}

export interface Dispersion {
  values: number[]; // mean over seeds, per variant (NaN where every seed diverged)
  sd: number; // sample sd across variants
  range: number; // max − min across variants
  seedSd: number; // mean over variants of the sd across seeds: the within-run spread, for scale
}

export interface DimensionReport {
  dimension: Dimension;
  variants: { label: string; runId: string; reused: boolean; changes: Record<string, number | boolean>; class: string | null; accIn: number; accOff: number; diverged: number }[];
  note?: string;
  pairs: number; // matched member pairs compared
  distance: PairStats | null; // mean over matched pairs; null when the dimension was skipped
  js: number; // mean JS over all probed environments: the ranking score
  classAgreement: number; // fraction of variant pairs with the same class label
  metrics: Record<string, Dispersion>;
  pathDependence: { accGapIn: number; disagreeIn: number; disagreeOff: number; jsIn: number; jsOff: number; flagged: boolean } | null;
  certified?: CertifiedSpread; // with `certify`
}

export interface StabilityReport {
  spec: string; // the base spec's name
  seeds: number;
  envs: { trained: string[]; novel: string[]; addedNovel: string[] };
  base: { runId: string; class: string | null; seedSpread: PairStats }; // base run, and its spread across seeds
  dimensions: DimensionReport[];
  ranking: { dimension: Dimension; js: number; jsIn: number; jsOff: number }[]; // most spread first
  pathDependent: Dimension[]; // dimensions flagged for path dependence
}

/** Metric keys whose dispersion is reported: those drawn in the panels of performance per environment, loss, behaviour and class scores. */
function keyMetrics(plan: RunPlan): string[] {
  const ds = runDescriptors(plan, metrics.all());
  return [PANELS.accuracy, PANELS.loss, PANELS.behaviour, PANELS.classes].flatMap((p) => ds.filter((d) => d.panel === p).map((d) => d.key));
}

const mean = (xs: number[]) => meanOf(finite(xs)); // over the finite values (a diverged seed's NaN left out)
const sd = (xs: number[]) => sdOf(finite(xs));

export async function stabilityReport(input: ExperimentSpec, o: StabilityOptions): Promise<StabilityReport> {
  const o2 = withDefaults(stabilityDefaults, o);
  const { spec, added } = studyBase(input);
  const { plan, layout, labels } = layoutOf(spec);
  const dims = (o.perturb ?? [...DIMENSIONS]).map((d) => planDimension(spec, d, o));
  const cache = new Map<string, TrainedRun>(); // spec hash -> run: the base run serves every dimension
  const run = async (s: ExperimentSpec) => {
    const h = specHash(s);
    if (!cache.has(h)) cache.set(h, await ensureRun(s, o));
    return cache.get(h)!;
  };
  const base = await run(spec);
  const envNames = plan.allEnvNames;
  const perSeedAcc = (r: TrainedRun, envs: number[]) =>
    Array.from({ length: layout.S }, (_, g) => (alive(r.outputs, g, layout) ? mean(envs.map((e) => accuracy(r.outputs, g, e, labels, layout))) : NaN));
  const trained = Array.from({ length: layout.T }, (_, e) => e);
  const novel = Array.from({ length: layout.E - layout.T }, (_, k) => layout.T + k);

  const reports: DimensionReport[] = [];
  for (const d of dims) {
    const runs: TrainedRun[] = [];
    for (const v of d.variants) runs.push(await run(v.spec));
    const labelsOf = runs.map((r) => r.summary.classification?.label ?? null);
    const variants = d.variants.map((v, i) => ({
      label: v.label, runId: runs[i]!.runId, reused: runs[i]!.reused, changes: v.changes, class: labelsOf[i]!,
      accIn: mean(perSeedAcc(runs[i]!, trained)), accOff: mean(perSeedAcc(runs[i]!, novel)),
      diverged: runs[i]!.summary.diverged.length,
    }));
    if (runs.length < 2) {
      reports.push({ dimension: d.dimension, variants, note: d.note, pairs: 0, distance: null, js: NaN, classAgreement: NaN, metrics: {}, pathDependence: null });
      continue;
    }
    const { stats, pairs } = matchedSpread(runs.map((r) => r.outputs), labels, layout);
    let same = 0, total = 0;
    for (let a = 0; a < runs.length; a++) for (let b = a + 1; b < runs.length; b++, total++) same += +(labelsOf[a] === labelsOf[b]);
    const metrics: Record<string, Dispersion> = {};
    for (const key of keyMetrics(plan)) {
      const values = runs.map((r) => r.summary.final[key]?.mean ?? NaN);
      if (values.every((v) => !Number.isFinite(v))) continue;
      const f = values.filter(Number.isFinite);
      metrics[key] = { values, sd: sd(values), range: Math.max(...f) - Math.min(...f), seedSd: mean(runs.map((r) => r.summary.final[key]?.sd ?? NaN)) };
    }
    const disagreeIn = 1 - stats.agreeIn, disagreeOff = 1 - stats.agreeOff;
    const flagged = stats.accGapIn <= o2.pathTolerance && disagreeOff >= Math.max(o2.pathMinDisagreement, 2 * disagreeIn);
    reports.push({
      dimension: d.dimension, variants, note: d.note, pairs, distance: stats,
      js: novel.length ? (layout.T * stats.jsIn + novel.length * stats.jsOff) / layout.E : stats.jsIn,
      classAgreement: same / total, metrics,
      pathDependence: { accGapIn: stats.accGapIn, disagreeIn, disagreeOff, jsIn: stats.jsIn, jsOff: stats.jsOff, flagged },
      ...(o.certify ? { certified: await certifySpread(o.store, runs.map((r) => r.runId), o.certify) } : {}),
    });
  }
  const ranked = reports.filter((r) => r.distance && Number.isFinite(r.js)).sort((a, b) => b.js - a.js); // NaN: every member diverged
  return {
    spec: input.name,
    seeds: spec.seeds,
    envs: { trained: plan.envNames, novel: envNames.slice(layout.T), addedNovel: added },
    base: { runId: base.runId, class: base.summary.classification?.label ?? null, seedSpread: seedSpread(base.outputs, labels, layout).stats },
    dimensions: reports,
    ranking: ranked.map((r) => ({ dimension: r.dimension, js: r.js, jsIn: r.distance!.jsIn, jsOff: r.distance!.jsOff })),
    pathDependent: reports.filter((r) => r.pathDependence?.flagged).map((r) => r.dimension),
  };
}
