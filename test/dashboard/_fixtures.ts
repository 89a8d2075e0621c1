// A small real lab for the dashboard and report tests: one trained run (two environments, a
// novel one, blocks of 40 steps), one 2×2 sweep run through the real sweep runner, and a way to
// replay a run's checkpoints one by one as if it were training now (the live view's test).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSpec } from "../../src/experiment/load.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { runSweep } from "../../src/sweep/runner.ts";
import { expandSweep } from "../../src/sweep/spec.ts";
import { runExperiment } from "../../src/train/run.ts";
import { tinyBase } from "../sweep/_fixtures.ts";

export interface Lab {
  path: string; // the store file
  store: Store; // the writer's connection (the server under test opens its own)
  runId: string; // a completed run: envs A, B, novel N1
  sweepId: string; // a completed 2×2 sweep over distinguishability × bottleneck
  close(): Promise<void>; // closes the writer and deletes the store's folder
}

export const labRunSpec = () => parseSpec({
  name: "lab-run", seeds: 4,
  world: { content: 12, cue: 4, classes: 4 },
  envs: [{ name: "A", objective: { kind: "sft" } }, { name: "B", objective: { kind: "sft" } }],
  novel: [{ name: "N1", kind: "fresh" }],
  schedule: { kind: "blocks", phaseSteps: 40 },
  model: { hidden: [32] },
  train: { steps: 160, evalEvery: 20, batch: 32, probes: 64, lr: 0.003 },
});

export const tempDir = (what: string) => mkdtempSync(join(tmpdir(), `ecotone-${what}-`));

/** Trains the run and the sweep into a fresh store (≈ 5 s on 2 cores). */
export async function makeLab(what: string, o: { sweep?: boolean } = {}): Promise<Lab> {
  const dir = tempDir(what);
  const path = join(dir, "runs.db");
  const store = await openStore(path);
  const run = await runExperiment(labRunSpec(), { store, threads: 1 });
  let sweepId = "";
  if (o.sweep !== false) {
    const sweep = expandSweep({ name: "lab-sweep", base: tinyBase(), grid: { "world.distinguishability": [0, 1], "model.bottleneck": [0, 2] }, seeds: 2 });
    const out = await runSweep(sweep, { store, workers: 2 });
    if (out.status !== "completed") throw new Error(`fixture sweep ${out.status}`);
    sweepId = out.sweepId;
  }
  const close = async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { path, store, runId: run.runId, sweepId, close };
}

/**
 * A "running" copy of a finished run whose checkpoints are written on demand, exactly as a
 * training process writes them (one transaction per checkpoint): a live run under test control.
 */
export async function replayRun(store: Store, sourceId: string, id: string) {
  const src = (await store.getRun(sourceId))!;
  const points = await store.metrics(src.id);
  const steps = [...new Set(points.map((p) => p.step))].sort((a, b) => a - b);
  await store.createRun({ id, name: "live-run", specJson: src.specJson, specHash: src.specHash, seeds: src.seeds, steps: src.steps, volatility: src.volatility, envs: src.envs });
  await store.writePhases(id, await store.phases(src.id));
  let next = 0;
  return {
    id, steps,
    /** Writes the next checkpoint; returns its step. */
    async write(): Promise<number> {
      const step = steps[next++];
      if (step === undefined) throw new Error("replay: no checkpoint left");
      await store.writeCheckpoint(id, step, points.filter((p) => p.step === step));
      return step;
    },
    finish: () => store.finishRun(id, "completed", src.summary),
  };
}
