// `ecotone plasticity`: loss of plasticity on Dohare et al.'s slowly-changing regression problem,
// plain backprop against L2 Init and continual backprop, trained in-process (no store).
import { plasticityStudy, scrDefaults, type PlasticityStudy } from "../../stability/plasticity.ts";
import { defaultReporter } from "../reporter.ts";

export interface PlasticityOpts { steps?: number; seeds?: number; lr?: number; json?: boolean }

export default async function (o: PlasticityOpts = {}): Promise<void> {
  const reporter = defaultReporter();
  try {
    const r = plasticityStudy({ steps: o.steps, seeds: o.seeds, lr: o.lr }, {
      onStage: (label) => { reporter.stop(); reporter.start(label, o.steps ?? scrDefaults.steps); },
      onProgress: (step) => reporter.update(step),
    });
    reporter.stop();
    console.log(o.json ? JSON.stringify(r) : render(r));
  } finally {
    reporter.stop();
  }
}

const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : "—");
const pct = (r: number) => { const p = Math.round(100 * r); return Number.isFinite(p) ? `${p > 0 ? "+" : ""}${p === 0 ? 0 : p}%` : "—"; };

/** Parts of the run, in tenths: the online MSE (mean over seeds) of each. */
function tenths(mse: number[][]): number[] {
  const P = mse.length, out: number[] = [];
  for (let i = 0; i < 10; i++) {
    const rows = mse.slice(Math.floor((i * P) / 10), Math.floor(((i + 1) * P) / 10));
    if (rows.length) out.push(rows.reduce((a, r) => a + r.reduce((x, y) => x + y, 0) / r.length, 0) / rows.length);
  }
  return out;
}

export function render(r: PlasticityStudy): string {
  const o = r.options;
  const head = `  ${"learner".padEnd(30)} ${"online MSE: first → last quarter".padEnd(34)} ${"dead units".padEnd(11)} ${"eff. rank".padEnd(10)} ${"mean |w|".padEnd(9)} replaced/seed`;
  return [
    `slowly-changing regression (Dohare et al. 2024): ${o.seeds} seeds, ${o.inputs}-bit inputs of which ${o.slowBits} change slowly (one flips every ${o.flipEvery} steps),`,
    `  target ${o.targetUnits} LTUs (β ${o.beta}); learner ${o.hidden} ReLU units trained online by SGD (lr ${o.lr}, batch ${o.batch}) for ${o.steps} steps (${Math.floor(o.steps / o.flipEvery)} flips); ${r.seconds.toFixed(1)}s`,
    "",
    head,
    ...r.variants.map(({ label, summary: s }) =>
      `  ${label.padEnd(30)} ${`${f(s.mseEarly)} → ${f(s.mseLate)} (${pct(s.mseLate / s.mseEarly - 1)})`.padEnd(34)} ${f(s.dead, 2).padEnd(11)} ${f(s.rank, 2).padEnd(10)} ${f(s.weight, 2).padEnd(9)} ${f(s.replaced, 0)}`),
    "",
    `  online MSE by tenth of the run (mean over seeds; the same targets and flips for every learner, so columns compare):`,
    ...r.variants.map(({ label, curves }) => `  ${label.padEnd(30)} ${tenths(curves.periods.mse).map((v) => f(v)).join(" ")}`),
    "",
    `  dead units: ReLU units zero on all ${o.probes} random probe inputs; effective rank (Roy & Vetterli 2007) of the hidden layer on them (at most ${o.hidden}).`,
  ].join("\n");
}
