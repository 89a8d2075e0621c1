// What a run reports when it stops, and the options every way of running one takes. Kept apart
// from run.ts so that the baselines (which run.ts trains first) can name them without a cycle.
import type { Summary } from "../metrics/bootstrap.ts";
import type { Classification } from "../metrics/classify.ts";
import type { Divergence, KeepStates, RunStatus, Store } from "../store/index.ts";

export interface RunOptions {
  store: Store;
  threads?: number; // worker threads; default: all cores when there are enough seeds
  signal?: AbortSignal; // abort = Ctrl-C: finished checkpoints stay, the run is marked interrupted
  onProgress?: (step: number, total: number) => void;
  onStage?: (what: string) => void; // e.g. "baseline mixture": a new stage of work begins
  sweepId?: string;
  allowLarge?: boolean; // lift the soft resource limits (src/experiment/budget.ts)
  keepStates?: KeepStates; // which saved states the run keeps once finished (default final); baselines always keep their final one
}

export interface RunSummary {
  runId: string;
  name: string;
  status: RunStatus;
  steps: number;
  seeds: number;
  volatility: number;
  performance: Record<string, Summary>; // final greedy accuracy per environment (trained and novel), over seeds
  reward: Record<string, Summary>; // final expected reward per environment
  final: Record<string, Summary>; // every metric at the last checkpoint, over seeds
  classification: Classification | null; // the class at the last checkpoint, with bootstrap intervals over seeds
  headline: Record<string, Summary>; // the metrics whose descriptor is a headline, at the last checkpoint
  diverged: Divergence[];
  env: { cueDecodability: number; labelAgreement: number | null }; // what the world's knobs mean in accuracy terms
  lastStep: number; // last checkpoint written
  baselines: { mixture: string; specialists: Record<string, string> } | null; // the weighted-sum baselines' run ids, when trained
  earlyStop?: { step: number; env: string; reason: string }; // where train.earlyStop ended the run before its last step
  engine?: { engine: "fused" | "jax"; reason?: string }; // who trained the run: the fused Wasm kernel, or jax-js and why (src/train/fused.ts)
  /**
   * Where this process's time went (not stored: it differs from run to run), in seconds summed over
   * the training threads: training steps, the live metrics at checkpoints (the per-seed ones with the
   * probe passes they read, plus the run-level ones on the main thread), and saving the resumable
   * state; metricsShare = metrics over the three. storeSeconds: packing and writing checkpoints on the
   * main thread (it overlaps the training threads).
   */
  timing?: { trainingSeconds: number; metricsSeconds: number; stateSeconds: number; storeSeconds: number; metricsShare: number; wallSeconds: number };
  [extra: string]: unknown; // fields a plugin metric's summary() adds
}
