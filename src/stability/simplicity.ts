// Simplicity bias (SPEC claim 4, "simple proxies win over complex true features"; Shah et al. 2020,
// "The pitfalls of simplicity bias in neural networks"), as an experiment on the LMS-k world
// (src/envs/lmsk.ts): one trained environment whose label both the linear coordinate (simple) and
// the k-slab coordinates (complex) predict perfectly, and novel sets that randomise one of them.
// The accuracy lost when a feature is randomised says which one the models rely on. A control run,
// the same spec with the label in the slabs only, shows the slabs are learnable with the same
// budget, so relying on the linear coordinate is a preference, not an incapacity.
import { join } from "node:path";
import type { LmskNovel } from "../envs/lmsk.ts";
import { loadSpec, parseSpec } from "../experiment/load.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import type { Summary } from "../metrics/bootstrap.ts";
import { openStore, type Store } from "../store/index.ts";
import { specHash } from "../train/plan.ts";
import { runExperiment, type RunSummary } from "../train/run.ts";
import { EcotoneError } from "../util/errors.ts";
import { withDefaults } from "./_options.ts";

/** The spec trained when none is given. */
export const simplicitySpecPath = join(import.meta.dirname, "../../examples/simplicity.yaml");

export const simplicityDefaults = {
  drop: 0.25, // accuracy lost when a feature is randomised, above which a model relies on it
  control: true, // also train the control: the same spec with the trained env's label in the slabs only
  reuse: true, // reuse a completed run of the identical spec from the store
};

export interface SimplicityOptions extends Partial<typeof simplicityDefaults> {
  store?: Store; // where the runs go; default a store in memory, closed afterwards
  seeds?: number; // overrides the spec's ensemble size
  steps?: number; // overrides the spec's training steps
  threads?: number; // worker threads per run
  onStage?: (label: string) => void; // a run starts (or is reused)
  onProgress?: (step: number, total: number) => void;
}

type Verdict = "linear" | "slab" | "both" | "neither";

export interface SimplicityReport {
  spec: ExperimentSpec; // as trained: overrides applied, randomised sets added when the spec lacked them
  env: string; // the trained environment
  sets: { linearRandomised: string; slabRandomised: string }; // the novel environments measured
  runId: string;
  reused: boolean;
  // final accuracy per seed on the trained env's probes, and with each feature randomised
  accuracy: { clean: number[]; linearRandomised: number[]; slabRandomised: number[] };
  summary: { clean: Summary; linearRandomised: Summary; slabRandomised: Summary }; // mean ± sd over seeds
  reliance: { linear: number; slab: number }; // mean accuracy lost when that feature is randomised
  verdict: Verdict[]; // per seed: the features whose randomisation costs more than `drop`
  // Trained with the linear coordinate randomised, tested likewise: accuracy from the slabs alone,
  // per seed. High means the slabs are learnable with this budget.
  control: { runId: string; reused: boolean; accuracy: number[]; summary: Summary } | null;
}

/** Trains `spec` (default examples/simplicity.yaml) and its control; reports which feature the models use. */
export async function simplicityBias(spec?: ExperimentSpec, opts: SimplicityOptions = {}): Promise<SimplicityReport> {
  const o = withDefaults(simplicityDefaults, opts);
  const base = studySpec(spec ?? (await loadSpec(simplicitySpecPath)), opts);
  const env = base.spec.envs[0]!.name;
  const store = opts.store ?? (await openStore(":memory:"));
  try {
    const { linearRandomised, slabRandomised } = base.sets;
    const main = await ensure(base.spec, [env, linearRandomised, slabRandomised], store, opts, o.reuse);
    const at = (name: string) => main.perSeed[name]!;
    const accuracy = { clean: at(env), linearRandomised: at(linearRandomised), slabRandomised: at(slabRandomised) };
    const perf = main.summary.performance; // final accuracy per env, over seeds
    const summary = { clean: perf[env]!, linearRandomised: perf[linearRandomised]!, slabRandomised: perf[slabRandomised]! };
    const verdict = accuracy.clean.map((c, s): Verdict => {
      const linear = c - accuracy.linearRandomised[s]! > o.drop, slab = c - accuracy.slabRandomised[s]! > o.drop;
      return linear && slab ? "both" : linear ? "linear" : slab ? "slab" : "neither";
    });
    let control: SimplicityReport["control"] = null;
    if (o.control) {
      const world = { ...base.spec.world, features: { ...base.spec.world.features, [env]: "slab" } };
      const c = await ensure(parseSpec({ ...base.spec, name: `${base.spec.name}/control`, world }, "simplicity control"), [env], store, opts, o.reuse);
      control = { runId: c.runId, reused: c.reused, accuracy: c.perSeed[env]!, summary: c.summary.performance[env]! };
    }
    return {
      spec: base.spec, env, sets: base.sets, runId: main.runId, reused: main.reused, accuracy, summary,
      reliance: { linear: summary.clean.mean - summary.linearRandomised.mean, slab: summary.clean.mean - summary.slabRandomised.mean },
      verdict, control,
    };
  } finally {
    if (!opts.store) await store.close();
  }
}

/**
 * The spec a study trains: an lmsk world with one trained env that carries its label in both
 * features, overrides applied, and the two randomised sets of that env (added when missing).
 */
function studySpec(spec: ExperimentSpec, o: SimplicityOptions): { spec: ExperimentSpec; sets: SimplicityReport["sets"] } {
  const bad = (msg: string) => new EcotoneError("E_SPEC", `simplicity: ${msg}`);
  if (spec.world.kind !== "lmsk") throw bad(`expected an lmsk world, got ${spec.world.kind}`);
  if (spec.envs.length !== 1) throw bad(`expected one trained environment, got ${spec.envs.length} (${spec.envs.map((e) => e.name).join(", ")})`);
  const env = spec.envs[0]!.name, feature = spec.world.features?.[env] ?? "both";
  if (feature !== "both") throw bad(`env ${env} must carry its label in both features (world.features.${env}: both), got ${feature}`);
  const novel = [...spec.novel] as LmskNovel[];
  const set = (f: "linear" | "slab") => {
    const found = novel.find((n) => n.kind === "randomise" && n.feature === f && (n.cueOf ?? env) === env);
    if (found) return found.name ?? `no-${f}`;
    novel.push({ kind: "randomise", feature: f, name: `no-${f}` });
    return `no-${f}`;
  };
  const sets = { linearRandomised: set("linear"), slabRandomised: set("slab") };
  return {
    spec: parseSpec({ ...spec, seeds: o.seeds ?? spec.seeds, train: { ...spec.train, steps: o.steps ?? spec.train.steps }, novel }, "simplicity"),
    sets,
  };
}

/** The completed run of `spec` (trained now, or reused from the store): its summary and final accuracy per seed on `envs`. */
async function ensure(spec: ExperimentSpec, envs: string[], store: Store, o: SimplicityOptions, reuse: boolean) {
  const hash = specHash(spec);
  const done = reuse ? (await store.listRuns({ name: spec.name, status: "completed" })).find((r) => r.specHash === hash && r.summary) : undefined;
  o.onStage?.(done ? `${spec.name} (reused ${done.id})` : spec.name);
  const summary = done ? (done.summary as RunSummary) : await runExperiment(spec, { store, threads: o.threads, onProgress: o.onProgress });
  const points = await store.metrics(summary.runId, { keys: envs.map((e) => `perf/acc:${e}`), fromStep: spec.train.steps });
  const perSeed = Object.fromEntries(envs.map((e) => [e, new Array<number>(spec.seeds).fill(NaN)]));
  for (const p of points) perSeed[p.key.slice("perf/acc:".length)]![p.seed] = p.value ?? NaN; // null: the seed diverged
  return { runId: summary.runId, reused: !!done, summary, perSeed };
}

