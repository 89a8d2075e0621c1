// The local learning coefficient of ecotone's models: at a stored run's final state, or along
// training (retrained deterministically, see snapshots.ts) with change points flagged as
// candidate phase transitions. L_n is the mean cross-entropy on the training set (data.ts).
// The SGLD settings come from dynamics/llc-settings.ts (or a γ sweep with `calibrate`); here
// only the budget is set, so that one estimate of a stored run takes seconds, not minutes.
import { tree } from "@jax-js/jax";
import { type LlcOptions, type LlcResult, calibrateLlc, crossEntropy, llc, llcWarnings as warningsOf } from "../dynamics/index.ts";
import { llcTransitions } from "../dynamics/transitions.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import type { Store } from "../store/index.ts";
import { makePlan, type RunPlan } from "../train/plan.ts";
import { EcotoneError } from "../util/errors.ts";
import { memberFn, memberSize } from "./members.ts";
import { withDefaults } from "./_options.ts";
import { type TrainingSet, trainingSet, trainingSetDefaults } from "./data.ts";
import { disposeMember, loadAnyMember } from "./inspect.ts";
import { trainAnyWithSnapshots } from "./snapshots.ts";

export const llcDefaults = {
  chains: 4, // independent chains; their spread is the error bar
  draws: 200, // recorded steps per chain
  maxBurnIn: 200, // budget of the automatic burn-in: with batchSize 64 a quickstart-size MLP takes ~20 s
  batchSize: 64, // rows per SGLD gradient (minibatch SGLD, as devinterp); all rows when there are fewer
  perEnv: trainingSetDefaults.perEnv, // L_n samples per trained environment when the spec has no finite pool
  unreliable: 0.1, // fraction of draws below L(w*) above which an estimate is flagged
};

export interface LlcRunOptions extends Partial<typeof llcDefaults> {
  seed?: number; // ensemble member
  beta?: number; // inverse temperature; default 1/log n
  gamma?: number; // localisation; default from llc-settings.ts (1, raised to fit the budget)
  stepSize?: number; // SGLD step; default from the curvature at w*
  burnIn?: number; // fixed burn-in instead of the automatic one
  samplerSeed?: number; // seed of the SGLD noise
  calibrate?: boolean; // sweep γ (and check ε) instead of the rule: several estimates' time
  onProgress?: (done: number, total: number) => void;
}

type Options = LlcReport["options"];

export interface LlcReport {
  runId: string;
  seed: number;
  step: number;
  params: number; // parameters of one member (a regular model's LLC would be params/2)
  n: number;
  source: "pool" | "fresh";
  options: {
    stepSize: number; gamma: number; beta: number; nBeta: number; chains: number; draws: number; burnIn: number;
    batchSize: number; metropolis: boolean; auto: string[]; calibrated: boolean;
  };
  llc: number;
  llcStd: number;
  llcSe: number; // llcStd / √chains
  initLoss: number;
  fractionBelowInit: number;
  diagnostics: LlcResult["diagnostics"];
  reliable: boolean;
  chains: { llc: number; lossTrace: number[] }[];
  sweep?: { gamma: number; stepSize: number; llc: number; llcSe: number; rhat: number; healthy: boolean }[]; // with calibrate
  warnings: string[];
}

/** Why an estimate should not be trusted, in words (dynamics' checks, with this module's below-init limit). */
export function llcWarnings(r: LlcResult, limit = llcDefaults.unreliable): string[] {
  const g = r.diagnostics;
  const w = warningsOf({ llc: r.llc, llcSe: r.llcSe, gamma: r.settings.gamma, nBeta: r.nBeta, metropolis: r.settings.metropolis, diagnostics: { ...g, fractionBelowInit: 0 } });
  if (g.fractionBelowInit > limit)
    w.unshift(`${(100 * g.fractionBelowInit).toFixed(0)}% of draws fell below L(w*): w* is not a local minimum of L_n (or --step-size is too large), so the estimate is biased low`);
  return [...w, ...r.warnings.filter((x) => x.startsWith("calibration:"))];
}

/** The loss and the SGLD options for a plan's training set: minibatches stratified by environment. */
function setup(plan: RunPlan, data: TrainingSet, o: LlcRunOptions) {
  const c = withDefaults(llcDefaults, o);
  const T = plan.world.trained;
  // rows come in equal environment blocks: each minibatch takes the same number from each
  const b = Math.min(data.n, Math.max(T, Math.floor(c.batchSize / T) * T));
  const heads = plan.model.heads;
  // a per-environment head is bound to row positions: a minibatch's rows are laid out like its strata
  const f = b < data.n && heads > 1 ? memberFn(plan, headLayout(b, T, heads)) : data.f;
  const opts: LlcOptions = {
    n: data.n, ...(o.beta !== undefined && { beta: o.beta }), gamma: o.gamma, stepSize: o.stepSize, burnIn: o.burnIn,
    chains: c.chains, draws: c.draws, maxBurnIn: c.maxBurnIn, batchSize: b, strata: T, seed: o.samplerSeed ?? 0,
    onProgress: o.onProgress,
  };
  return { loss: crossEntropy(f), opts };
}

/** One-hot head weights [b, H] for a minibatch of b rows in T equal environment blocks. */
function headLayout(b: number, T: number, H: number): Float32Array {
  const out = new Float32Array(b * H);
  for (let i = 0; i < b; i++) out[i * H + Math.floor(i / (b / T))] = 1;
  return out;
}

const optionsOf = (r: LlcResult, calibrated: boolean): Options => ({
  stepSize: r.settings.stepSize, gamma: r.settings.gamma, beta: r.settings.beta, nBeta: r.nBeta,
  chains: r.settings.chains, draws: r.settings.draws, burnIn: r.settings.burnIn, batchSize: r.settings.batchSize,
  metropolis: r.settings.metropolis, auto: r.settings.auto, calibrated,
});

/** LLC of member `seed` of a stored run, at its final state. */
export async function llcOfRun(store: Store, runId: string, o: LlcRunOptions = {}): Promise<LlcReport> {
  const m = await loadAnyMember(store, runId, o.seed ?? 0);
  const data = trainingSet(m.plan, o.perEnv);
  try {
    if (m.diverged) throw new EcotoneError("E_DIVERGED", `run ${m.runId}: seed ${m.seed} diverged; pick another --seed`);
    const { loss, opts } = setup(m.plan, data, o);
    const cal = o.calibrate ? calibrateLlc(loss, m.params, data.batch, opts) : undefined;
    const r = cal?.result ?? llc(loss, m.params, data.batch, opts);
    return {
      runId: m.runId, seed: m.seed, step: m.step, params: memberSize(m.params), n: data.n, source: data.source,
      options: optionsOf(r, cal !== undefined),
      llc: r.llc, llcStd: r.llcStd, llcSe: r.llcSe, initLoss: r.initLoss, fractionBelowInit: r.fractionBelowInit,
      diagnostics: r.diagnostics, reliable: r.reliable && llcWarnings(r, o.unreliable).length === 0, chains: r.chains,
      ...(cal && { sweep: cal.sweep.map(({ warnings: _, burnIn: __, ...p }) => p) }),
      warnings: llcWarnings(r, o.unreliable),
    };
  } finally {
    tree.dispose(data.batch);
    disposeMember(m);
  }
}

export interface LlcTrajectoryReport {
  spec: string;
  seed: number;
  params: number;
  n: number;
  source: "pool" | "fresh";
  options: LlcReport["options"];
  steps: number[]; // checkpoint steps
  llc: number[];
  llcStd: number[];
  initLoss: number[]; // L_n at each checkpoint
  fractionBelowInit: number[];
  regularReference: number[]; // what a regular model with each checkpoint's Hessian would give (see dynamics/llc.ts)
  accuracy: Record<string, number[]>; // perf/acc per environment at each checkpoint, for reading the LLC against
  changePoints: number[]; // steps where a new LLC level starts: candidate phase transitions
  segments: { from: number; to: number; mean: number }[]; // steps [from, to] of each level
  unreliable: number[]; // steps whose estimate fails the diagnostics (see llcWarnings)
}

/**
 * The LLC of member `seed` at every checkpoint of `spec`, retrained in-process, with change points.
 * `onTrain` reports the retraining, `onProgress` the sampling (settings shared by every checkpoint).
 */
export function llcAlongTraining(
  spec: ExperimentSpec,
  o: LlcRunOptions & { penalty?: number; onTrain?: (step: number, total: number) => void } = {},
): LlcTrajectoryReport {
  const seed = o.seed ?? 0;
  const plan = makePlan(spec);
  const snaps = trainAnyWithSnapshots(spec, seed, o.onTrain);
  const data = trainingSet(plan, o.perEnv);
  try {
    const { loss, opts } = setup(plan, data, o);
    const r = llcTransitions(loss, snaps.map((s) => s.params), data.batch, opts, o.penalty === undefined ? {} : { penalty: o.penalty });
    const steps = snaps.map((s) => s.step);
    const first = r.results.at(-1)!;
    return {
      spec: spec.name, seed, params: memberSize(snaps[0]!.params), n: data.n, source: data.source,
      options: optionsOf(first, false),
      steps, llc: r.llc, llcStd: r.llcStd, initLoss: r.initLoss, fractionBelowInit: r.fractionBelowInit,
      regularReference: r.results.map((x) => x.diagnostics.regularReference),
      accuracy: Object.fromEntries(plan.allEnvNames.map((e) => [e, snaps.map((s) => s.metrics[`perf/acc:${e}`] ?? NaN)])),
      changePoints: r.changePoints.map((i) => steps[i]!),
      segments: r.segments.map((g) => ({ from: steps[g.start]!, to: steps[g.end - 1]!, mean: g.mean })),
      unreliable: steps.filter((_, i) => llcWarnings(r.results[i]!, o.unreliable).length > 0),
    };
  } finally {
    tree.dispose([data.batch, snaps.map((s) => s.params)]);
  }
}
