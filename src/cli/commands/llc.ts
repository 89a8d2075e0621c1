// `ecotone llc <runId | spec.yaml>`: the local learning coefficient of a stored model, or (with
// --trajectory, or given a spec file) along training, with change points as candidate transitions.
import { existsSync } from "node:fs";
import { loadSpec, parseSpec } from "../../experiment/load.ts";
import { type LlcReport, type LlcTrajectoryReport, llcAlongTraining, llcOfRun } from "../../stability/llc.ts";
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";
import { defaultReporter } from "../reporter.ts";

export interface LlcOpts {
  store: string; seed?: number; trajectory?: boolean; json?: boolean;
  stepSize?: number; gamma?: number; beta?: number; chains?: number; draws?: number; burnIn?: number; perEnv?: number; penalty?: number; samplerSeed?: number;
}

export default async function (target: string, o: LlcOpts): Promise<void> {
  const hyper = { seed: o.seed, stepSize: o.stepSize, gamma: o.gamma, beta: o.beta, chains: o.chains, draws: o.draws, burnIn: o.burnIn, perEnv: o.perEnv, samplerSeed: o.samplerSeed };
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
    const reporter = defaultReporter();
    reporter.start(`${spec.name} seed ${o.seed ?? 0}`, spec.train.steps);
    const r = llcAlongTraining(spec, { ...hyper, penalty: o.penalty, onProgress: (s) => reporter.update(s) });
    reporter.stop();
    console.log(o.json ? JSON.stringify(r) : renderTrajectory(r));
    return;
  }
  const store = await openStore(o.store);
  try {
    const r = await llcOfRun(store, target, hyper);
    console.log(o.json ? JSON.stringify(r) : render(r));
  } finally {
    await store.close();
  }
}

const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : "—");

export function render(r: LlcReport): string {
  const o = r.options;
  return [
    `local learning coefficient of ${r.runId} seed ${r.seed} at step ${r.step} (${r.params} parameters: a regular model would have λ = ${r.params / 2})`,
    `  λ̂ = ${f(r.llc)} ± ${f(r.llcStd)} (sd over ${o.chains} chains)`,
    `  L_n: cross-entropy on ${r.n} ${r.source === "pool" ? "pooled training examples" : "samples of the training distribution"}; L_n(w*) = ${f(r.initLoss, 4)}`,
    `  SGLD: step size ${o.stepSize}, γ ${o.gamma}, β ${f(o.beta, 4)} (nβ ${f(o.nBeta, 1)}), ${o.draws} draws after ${o.burnIn} burn-in`,
    `  draws below L_n(w*): ${f(100 * r.fractionBelowInit, 1)}%`,
    ...r.warnings.map((w) => `  warning: ${w}`),
  ].join("\n");
}

export function renderTrajectory(r: LlcTrajectoryReport): string {
  const envs = Object.keys(r.accuracy);
  const lines = [
    `LLC along training of ${r.spec} seed ${r.seed} (${r.params} parameters; L_n on ${r.n} ${r.source === "pool" ? "pooled" : "sampled"} examples; nβ ${f(r.options.nBeta, 1)})`,
    "",
    `step    λ̂ ± sd            below   ${envs.map((e) => `acc:${e}`.padEnd(10)).join("")}`,
  ];
  r.steps.forEach((s, i) => {
    const mark = r.changePoints.includes(s) ? "  ← change point" : "";
    const bad = r.unreliable.includes(s) ? " (unreliable)" : "";
    lines.push(`${String(s).padEnd(7)} ${`${f(r.llc[i]!, 2)} ± ${f(r.llcStd[i]!, 2)}`.padEnd(17)} ${f(r.fractionBelowInit[i]!, 2).padEnd(7)} ${envs.map((e) => f(r.accuracy[e]![i]!).padEnd(10)).join("")}${mark}${bad}`);
  });
  lines.push("", r.changePoints.length ? `candidate phase transitions at steps ${r.changePoints.join(", ")}` : "no change points: the LLC holds one level throughout");
  if (r.unreliable.length)
    lines.push(`${r.unreliable.length} of ${r.steps.length} estimates fail the diagnostics (w* not a local minimum of L_n, or the step size too large): read their levels, and change points next to them, with care`);
  return lines.join("\n");
}
