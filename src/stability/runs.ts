// Training the runs a stability study needs, through the ordinary run path (so they are stored,
// exported and classified like any run), reusing a completed run of the identical spec from the
// store: a study interrupted halfway, or repeated with one more dimension, retrains nothing twice.
import type { ExperimentSpec } from "../experiment/schema.ts";
import type { Store } from "../store/index.ts";
import { loadModels } from "../train/baselines.ts";
import { makePlan, specHash, type RunPlan } from "../train/plan.ts";
import { runExperiment, type RunSummary } from "../train/run.ts";
import type { ProbeLayout } from "./spread.ts";

export interface StudyOptions {
  store: Store;
  threads?: number; // worker threads per run (default: as `ecotone run` picks)
  reuse?: boolean; // reuse a completed run of the identical spec from the store; default true
  onStage?: (label: string) => void; // a run starts (or is reused)
  onProgress?: (step: number, total: number) => void;
}

export interface TrainedRun {
  runId: string;
  reused: boolean;
  summary: RunSummary;
  outputs: Float32Array; // final models' probe outputs [S, envs·N, C]
}

/** The completed run of `spec` (trained now, or found in the store), with its final probe outputs. */
export async function ensureRun(spec: ExperimentSpec, o: StudyOptions): Promise<TrainedRun> {
  const hash = specHash(spec);
  const done = o.reuse === false ? undefined
    : (await o.store.listRuns({ name: spec.name, status: "completed" })).find((r) => r.specHash === hash && r.summary);
  o.onStage?.(done ? `${spec.name} (reused ${done.id})` : spec.name);
  const summary = done ? (done.summary as RunSummary) : await runExperiment(spec, { store: o.store, threads: o.threads, onProgress: o.onProgress });
  const { trainer } = await loadModels(o.store, summary.runId);
  try {
    return { runId: summary.runId, reused: !!done, summary, outputs: trainer.outputs() };
  } finally {
    trainer.dispose();
  }
}

/** Probe layout and clean labels of a spec's plan. */
export function layoutOf(spec: ExperimentSpec): { plan: RunPlan; layout: ProbeLayout; labels: Int32Array } {
  const plan = makePlan(spec);
  const layout = { S: spec.seeds, E: plan.probes.envs, T: plan.world.trained, N: plan.probes.n, C: plan.world.classes };
  return { plan, layout, labels: plan.probes.labels };
}
