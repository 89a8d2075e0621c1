// The local learning coefficient of ecotone's models: at a stored run's final state, or along
// training (retrained deterministically, see snapshots.ts) with change points flagged as
// candidate phase transitions. L_n is the mean cross-entropy on the training set (data.ts).
import { tree } from "@jax-js/jax";
import { crossEntropy, llc } from "../dynamics/index.ts";
import { llcTransitions } from "../dynamics/transitions.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import type { Store } from "../store/index.ts";
import { makePlan } from "../train/plan.ts";
import { EcotoneError } from "../util/errors.ts";
import { memberSize } from "./members.ts";
import { withDefaults } from "./_options.ts";
import { trainingSet, trainingSetDefaults } from "./data.ts";
import { disposeMember, loadMember } from "./inspect.ts";
import { trainWithSnapshots } from "./snapshots.ts";

export const llcDefaults = {
  stepSize: 1e-4, // SGLD step ε: small enough that chains stay in the basin of a 100–1000-parameter MLP
  gamma: 100, // localisation γ (devinterp's default)
  chains: 4, // independent chains; llcStd is their spread
  draws: 200, // recorded steps per chain
  burnIn: 100, // discarded steps per chain
  perEnv: trainingSetDefaults.perEnv, // L_n samples per trained environment when the spec has no finite pool
  unreliable: 0.1, // fraction of draws below L(w*) above which an estimate is flagged
};

export interface LlcRunOptions extends Partial<typeof llcDefaults> {
  seed?: number; // ensemble member
  beta?: number; // inverse temperature; default 1/log n
  samplerSeed?: number; // seed of the SGLD noise
}

export interface LlcReport {
  runId: string;
  seed: number;
  step: number;
  params: number; // parameters of one member (a regular model's LLC would be params/2)
  n: number;
  source: "pool" | "fresh";
  options: { stepSize: number; gamma: number; beta: number; nBeta: number; chains: number; draws: number; burnIn: number };
  llc: number;
  llcStd: number;
  initLoss: number;
  fractionBelowInit: number;
  chains: { llc: number; lossTrace: number[] }[];
  warnings: string[];
}

function hyper(o: LlcRunOptions, n: number) {
  const c = withDefaults(llcDefaults, o);
  const beta = o.beta ?? 1 / Math.log(n);
  return { n, beta, gamma: c.gamma, stepSize: c.stepSize, chains: c.chains, draws: c.draws, burnIn: c.burnIn, seed: o.samplerSeed ?? 0 };
}

/** Why an estimate should not be trusted, in words (empty when the diagnostics look healthy). */
export function llcWarnings(r: { llc: number; llcStd: number; fractionBelowInit: number }, limit = llcDefaults.unreliable): string[] {
  const w: string[] = [];
  if (r.fractionBelowInit > limit)
    w.push(`${(100 * r.fractionBelowInit).toFixed(0)}% of draws fell below L(w*): w* is not a local minimum of L_n (or --step-size is too large), so the estimate is biased low`);
  if (r.llc < 0) w.push("negative estimate: the chains found lower loss than w*; not a valid LLC");
  if (Math.abs(r.llc) > 0 && r.llcStd > Math.abs(r.llc)) w.push("the chains disagree by more than the estimate: raise --draws or --chains");
  return w;
}

/** LLC of member `seed` of a stored run, at its final state. */
export async function llcOfRun(store: Store, runId: string, o: LlcRunOptions = {}): Promise<LlcReport> {
  const m = await loadMember(store, runId, o.seed ?? 0);
  const data = trainingSet(m.plan, o.perEnv);
  try {
    if (m.diverged) throw new EcotoneError("E_DIVERGED", `run ${m.runId}: seed ${m.seed} diverged; pick another --seed`);
    const h = hyper(o, data.n);
    const r = llc(crossEntropy(data.f), m.params, data.batch, h);
    return {
      runId: m.runId, seed: m.seed, step: m.step, params: memberSize(m.params), n: data.n, source: data.source,
      options: { stepSize: h.stepSize, gamma: h.gamma, beta: h.beta, nBeta: r.nBeta, chains: h.chains, draws: h.draws, burnIn: h.burnIn },
      llc: r.llc, llcStd: r.llcStd, initLoss: r.initLoss, fractionBelowInit: r.fractionBelowInit, chains: r.chains,
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
  accuracy: Record<string, number[]>; // perf/acc per environment at each checkpoint, for reading the LLC against
  changePoints: number[]; // steps where a new LLC level starts: candidate phase transitions
  segments: { from: number; to: number; mean: number }[]; // steps [from, to] of each level
  unreliable: number[]; // steps whose estimate fails the diagnostics (see llcWarnings)
}

/** The LLC of member `seed` at every checkpoint of `spec`, retrained in-process, with change points. */
export function llcAlongTraining(spec: ExperimentSpec, o: LlcRunOptions & { penalty?: number; onProgress?: (step: number, total: number) => void } = {}): LlcTrajectoryReport {
  const seed = o.seed ?? 0;
  const plan = makePlan(spec);
  const snaps = trainWithSnapshots(spec, seed, o.onProgress);
  const data = trainingSet(plan, o.perEnv);
  try {
    const h = hyper(o, data.n);
    const r = llcTransitions(crossEntropy(data.f), snaps.map((s) => s.params), data.batch, h, o.penalty === undefined ? {} : { penalty: o.penalty });
    const steps = snaps.map((s) => s.step);
    const limit = o.unreliable ?? llcDefaults.unreliable;
    return {
      spec: spec.name, seed, params: memberSize(snaps[0]!.params), n: data.n, source: data.source,
      options: { stepSize: h.stepSize, gamma: h.gamma, beta: h.beta, nBeta: data.n * h.beta, chains: h.chains, draws: h.draws, burnIn: h.burnIn },
      steps, llc: r.llc, llcStd: r.llcStd, initLoss: r.initLoss, fractionBelowInit: r.fractionBelowInit,
      accuracy: Object.fromEntries(plan.allEnvNames.map((e) => [e, snaps.map((s) => s.metrics[`perf/acc:${e}`] ?? NaN)])),
      changePoints: r.changePoints.map((i) => steps[i]!),
      segments: r.segments.map((g) => ({ from: steps[g.start]!, to: steps[g.end - 1]!, mean: g.mean })),
      unreliable: steps.filter((_, i) => llcWarnings({ llc: r.llc[i]!, llcStd: 0, fractionBelowInit: r.fractionBelowInit[i]! }, limit).length > 0),
    };
  } finally {
    tree.dispose([data.batch, snaps.map((s) => s.params)]);
  }
}
