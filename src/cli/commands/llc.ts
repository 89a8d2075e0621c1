// `ecotone llc <runId | spec.yaml>`: the local learning coefficient of a stored model, or (with
// --trajectory, or given a spec file) along training, with change points as candidate transitions.
import { existsSync } from "node:fs";
import { loadSpec, parseSpec } from "../../experiment/load.ts";
import { type LlcReport, type LlcTrajectoryReport, llcAlongTraining, llcOfRun } from "../../stability/llc.ts";
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";
import { type Reporter, defaultReporter } from "../reporter.ts";

export interface LlcOpts {
  store: string; seed?: number; trajectory?: boolean; json?: boolean; calibrate?: boolean;
  stepSize?: number; gamma?: number; beta?: number; chains?: number; draws?: number; burnIn?: number; maxBurnIn?: number;
  batchSize?: number; perEnv?: number; penalty?: number; samplerSeed?: number;
}

/** A progress callback onto a reporter whose total may grow (an adaptive burn-in): the bar restarts at the new total. */
function progress(reporter: Reporter, label: string) {
  let total = -1;
  return (done: number, t: number) => {
    if (t !== total) {
      if (total >= 0) reporter.stop();
      reporter.start(label, (total = t));
    }
    reporter.update(done);
  };
}

export default async function (target: string, o: LlcOpts): Promise<void> {
  const hyper = {
    seed: o.seed, stepSize: o.stepSize, gamma: o.gamma, beta: o.beta, chains: o.chains, draws: o.draws, burnIn: o.burnIn,
    maxBurnIn: o.maxBurnIn, batchSize: o.batchSize, perEnv: o.perEnv, samplerSeed: o.samplerSeed, calibrate: o.calibrate,
  };
  const reporter = defaultReporter();
  const isSpec = /\.(ya?ml|json)$/i.test(target) && existsSync(target);
  if (isSpec || o.trajectory) {
    let spec;
    if (isSpec) spec = await loadSpec(target);
    else {
      const store = await openStore(o.store);
      try {
        const row = await store.getRun(target);
        if (!row) throw new EcotoneError("E_NOT_FOUND", `no run with id ${target}`);
        spec = parseSpec(JSON.parse(row.specJson), `run ${row.id}`);
      } finally {
        await store.close();
      }
    }
    const label = `${spec.name} seed ${o.seed ?? 0}`;
    const r = llcAlongTraining(spec, {
      ...hyper, penalty: o.penalty,
      onTrain: progress(reporter, `${label}: training`),
      onProgress: progress(reporter, `${label}: SGLD at every checkpoint`),
    });
    reporter.stop();
    console.log(o.json ? JSON.stringify(r) : renderTrajectory(r));
    return;
  }
  const store = await openStore(o.store);
  try {
    const r = await llcOfRun(store, target, { ...hyper, onProgress: progress(reporter, `llc ${target} seed ${o.seed ?? 0}${o.calibrate ? " (γ sweep)" : ""}`) });
    reporter.stop();
    console.log(o.json ? JSON.stringify(r) : render(r));
  } finally {
    await store.close();
  }
}

const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : "—");
const g = (v: number, p = 3) => (Number.isFinite(v) ? v.toPrecision(p) : "—");

export function render(r: LlcReport): string {
  const o = r.options, d = r.diagnostics;
  const how = o.calibrated ? "calibrated by a γ sweep" : o.auto.length ? `${o.auto.join(", ")} chosen from the curvature` : "as given";
  return [
    `local learning coefficient of ${r.runId} seed ${r.seed} at step ${r.step} (${r.params} parameters: a regular model would have λ = ${r.params / 2})`,
    `  λ̂ = ${f(r.llc)} ± ${f(r.llcSe)} (standard error; sd ${f(r.llcStd)} over ${o.chains} chains)${r.reliable ? "" : "  UNRELIABLE, see the warnings"}`,
    `  a regular model with this Hessian would give ${d.regularExact ? "" : "at most "}${f(d.regularReference, 2)} under the same γ and nβ`,
    `  L_n: cross-entropy on ${r.n} ${r.source === "pool" ? "pooled training examples" : "samples of the training distribution"}; L_n(w*) = ${f(r.initLoss, 4)}`,
    `  ${o.metropolis ? "MALA" : `SGLD on minibatches of ${o.batchSize}`}: step ${g(o.stepSize)}, γ ${g(o.gamma)}, β ${f(o.beta, 4)} (nβ ${f(o.nBeta, 1)}), ${o.draws} draws after ${o.burnIn} burn-in; ${how}`,
    `  chains: split-R̂ ${f(d.rhat)}, ${f(d.ess, 0)} effective draws${o.metropolis ? `, acceptance ${f(d.acceptance, 2)}` : ""}, dλ̂/d log γ ${f(d.gammaSensitivity, 2)} ± ${f(d.gammaSensitivitySe, 2)}, draws below L_n(w*) ${f(100 * r.fractionBelowInit, 1)}%`,
    `  curvature at w*: top eigenvalue ${g(d.sharpness)}, trace ${g(d.trace)}`,
    ...(r.sweep ? [`  γ sweep: ${r.sweep.map((p) => `γ ${g(p.gamma, 2)} → ${f(p.llc, 2)} ± ${f(p.llcSe, 2)}${p.healthy ? "" : " (unhealthy)"}`).join(", ")}`] : []),
    ...r.warnings.map((w) => `  warning: ${w}`),
  ].join("\n");
}

export function renderTrajectory(r: LlcTrajectoryReport): string {
  const envs = Object.keys(r.accuracy);
  const o = r.options;
  const lines = [
    `LLC along training of ${r.spec} seed ${r.seed} (${r.params} parameters; L_n on ${r.n} ${r.source === "pool" ? "pooled" : "sampled"} examples; nβ ${f(o.nBeta, 1)}, γ ${g(o.gamma)}, step ${g(o.stepSize)})`,
    "",
    `step    λ̂ ± sd            regular  below   ${envs.map((e) => `acc:${e}`.padEnd(10)).join("")}`,
  ];
  r.steps.forEach((s, i) => {
    const mark = r.changePoints.includes(s) ? "  ← change point" : "";
    const bad = r.unreliable.includes(s) ? " (unreliable)" : "";
    lines.push(`${String(s).padEnd(7)} ${`${f(r.llc[i]!, 2)} ± ${f(r.llcStd[i]!, 2)}`.padEnd(17)} ${f(r.regularReference[i]!, 1).padEnd(8)} ${f(r.fractionBelowInit[i]!, 2).padEnd(7)} ${envs.map((e) => f(r.accuracy[e]![i]!).padEnd(10)).join("")}${mark}${bad}`);
  });
  lines.push("", r.changePoints.length ? `candidate phase transitions at steps ${r.changePoints.join(", ")}` : "no change points: the LLC holds one level throughout");
  if (r.unreliable.length)
    lines.push(`${r.unreliable.length} of ${r.steps.length} estimates fail the diagnostics (w* not a local minimum of L_n, chains not stationary, or the localisation setting the answer): read their levels, and change points next to them, with care`);
  return lines.join("\n");
}
