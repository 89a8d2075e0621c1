// An interrupt while the weighted-sum baselines train loses nothing: the main run exists first and
// ends `interrupted`; resuming it resumes the interrupted baseline (no baseline trained twice), and
// the result equals an uninterrupted run's, number for number.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resumeRun, runExperiment } from "../../src/train/run.ts";
import { tempStore, tinySpec } from "./_helpers.ts";

describe("interrupt during baselines", () => {
  it("leaves a resumable main run, and resuming reuses the interrupted baseline", async () => {
    const spec = tinySpec({ name: "ws", baselines: true, seeds: 2, train: { steps: 80, evalEvery: 20 } });
    const store = await tempStore();
    const whole = await runExperiment(spec, { store, threads: 1 });
    const other = await tempStore();
    const ac = new AbortController();
    let stage = "";
    const cut = await runExperiment(spec, {
      store: other, threads: 1, signal: ac.signal,
      onStage: (s) => { stage = s; },
      onProgress: (step) => { if (stage.includes("specialist:A") && step >= 40) ac.abort(); },
    });
    assert.equal(cut.status, "interrupted");
    assert.equal((await other.getRun(cut.runId))!.status, "interrupted");
    const stopped = (await other.listRuns({ name: "ws/specialist:A" }));
    assert.deepEqual(stopped.map((r) => r.status), ["interrupted"]);
    const done = await resumeRun(cut.runId, { store: other, threads: 1 });
    assert.equal(done.status, "completed");
    for (const name of ["ws/mixture", "ws/specialist:A", "ws/specialist:B"])
      assert.deepEqual((await other.listRuns({ name })).map((r) => r.status), ["completed"], `${name}: one run, completed`);
    const strip = (ps: { step: number; seed: number; key: string; value: number | null }[]) => ps.map(({ step, seed, key, value }) => [step, seed, key, value]);
    assert.deepEqual(strip(await other.metrics(cut.runId)), strip(await store.metrics(whole.runId)));
    await store.close();
    await other.close();
  });
});
