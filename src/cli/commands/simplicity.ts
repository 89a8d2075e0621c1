// `ecotone simplicity [spec.yaml]`: does a model trained where a simple (linear) and a complex
// (slab) feature both predict the label rely on the simple one? Trains the spec on the LMS-k
// world (default examples/simplicity.yaml) and its control, then randomises each feature.
import { loadSpec } from "../../experiment/load.ts";
import { type SimplicityReport, simplicityBias, simplicitySpecPath } from "../../stability/simplicity.ts";
import { openStore } from "../../store/index.ts";
import { defaultReporter } from "../reporter.ts";

export interface SimplicityOpts { store?: string; seeds?: number; steps?: number; threads?: number; control?: boolean; reuse?: boolean; json?: boolean }

export default async function (specPath: string | undefined, o: SimplicityOpts = {}): Promise<void> {
  const spec = await loadSpec(specPath ?? simplicitySpecPath); // validated before the store is touched
  const store = o.store ? await openStore(o.store) : undefined; // default: runs kept in memory only
  const reporter = defaultReporter();
  try {
    const r = await simplicityBias(spec, {
      store, seeds: o.seeds, steps: o.steps, threads: o.threads, control: o.control, reuse: o.reuse,
      onStage: (what) => {
        reporter.stop();
        if (what.includes("(reused")) reporter.info(what);
        else reporter.start(what, o.steps ?? spec.train.steps);
      },
      onProgress: (step) => reporter.update(step),
    });
    reporter.stop();
    console.log(o.json ? JSON.stringify({ ...r, store: store?.url ?? null }) : render(r));
  } finally {
    reporter.stop();
    await store?.close();
  }
}

const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "  —  ");

export function render(r: SimplicityReport): string {
  const { world, train, model } = r.spec;
  const row = (name: string, xs: number[], s: { mean: number; sd: number }) => `  ${name.padEnd(32)} ${`${f(s.mean)} ± ${f(s.sd)}`.padEnd(22)} ${xs.map(f).join(" ")}`;
  const net = `${model.kind}${Array.isArray(model.hidden) ? ` ${model.hidden.join("×")}` : ""}`;
  return [
    `simplicity bias: ${r.spec.seeds} seeds of ${net} trained ${train.steps} steps (${train.optimizer}, lr ${train.lr}, batch ${train.batch}) on LMS-${world.k}:`,
    `  env ${r.env}'s label is both the sign of the linear coordinate and the slab pattern of ${world.slabs} ${world.k}-slab coordinates (run ${r.runId}${r.reused ? ", reused" : ""})`,
    "",
    "  test set                         accuracy (mean ± sd)   per seed",
    row("clean", r.accuracy.clean, r.summary.clean),
    row(`linear randomised (${r.sets.linearRandomised})`, r.accuracy.linearRandomised, r.summary.linearRandomised),
    row(`slabs randomised (${r.sets.slabRandomised})`, r.accuracy.slabRandomised, r.summary.slabRandomised),
    "",
    `  reliance (accuracy lost when randomised): linear ${f(r.reliance.linear)}, slabs ${f(r.reliance.slab)}`,
    `  relies on: ${r.verdict.join(", ")}`,
    r.control
      ? `  control (trained with the linear coordinate randomised, run ${r.control.runId}): the slabs alone give ${f(r.control.summary.mean)} ± ${f(r.control.summary.sd)}, so they are learnable with this budget${r.control.summary.mean < 0.8 ? " — only partly: read the verdict with care" : ""}`
      : "",
  ].join("\n");
}
