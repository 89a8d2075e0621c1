// train.earlyStop: allDiverged ends a run once its last seed has diverged, as status "diverged"
// with where it stopped, instead of training NaNs to the last step; off by default.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperiment } from "../../src/train/run.ts";
import { tempStore, tinySpec } from "./_helpers.ts";

describe("early stop", () => {
  const train = { optimizer: "sgd", lr: 1e6, steps: 400, evalEvery: 20 }; // every seed's loss is NaN within a few steps

  it("allDiverged stops at the last seed's divergence, recorded as diverged with the step and environment", async () => {
    const store = await tempStore();
    for (const threads of [1, 2]) {
      const r = await runExperiment(tinySpec({ train: { ...train, earlyStop: "allDiverged" } }), { store, threads });
      assert.equal(r.status, "diverged");
      assert.equal(r.diverged.length, 4);
      const last = Math.max(...r.diverged.map((d) => d.step));
      assert.deepEqual(r.earlyStop, { step: last, env: r.diverged.find((d) => d.step === last)!.env, reason: "every seed diverged" });
      assert.equal(r.lastStep, Math.floor(last / 20) * 20, "the last checkpoint at or before the stop, whatever the threads");
      assert.ok((await store.lastStep(r.runId) ?? 0) < 400, "no checkpoint after the stop");
      const row = (await store.getRun(r.runId))!;
      assert.equal(row.status, "diverged");
      assert.deepEqual((row.summary as { earlyStop?: unknown }).earlyStop, r.earlyStop);
    }
    await store.close();
  });

  it("by default the run trains to its last step, and a seed that survives keeps it going", async () => {
    const store = await tempStore();
    const r = await runExperiment(tinySpec({ train }), { store, threads: 1 });
    assert.equal(r.status, "diverged");
    assert.equal(r.lastStep, 400);
    assert.equal(r.earlyStop, undefined);
    const calm = await runExperiment(tinySpec({ train: { steps: 60, evalEvery: 20, earlyStop: "allDiverged" } }), { store, threads: 1 });
    assert.equal(calm.status, "completed");
    assert.equal(calm.lastStep, 60);
    await store.close();
  });
});
