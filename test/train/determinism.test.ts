import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runExperiment } from "../../src/train/run.ts";
import { tempStore, tinySpec } from "./_helpers.ts";

// Every objective, dropout and a markov schedule, so every random stream is exercised.
const spec = tinySpec({
  envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "reward" }, { name: "C", objective: "preference" }],
  schedule: { kind: "markov", switchProb: 0.05 },
  model: { hidden: [32], dropout: 0.1 },
});

describe("determinism", () => {
  it("the same spec and seed give bit-identical stored metrics", async () => {
    const store = await tempStore();
    const a = await runExperiment(spec, { store, threads: 1 });
    const b = await runExperiment(spec, { store, threads: 1 });
    const [ma, mb] = [await store.metrics(a.runId), await store.metrics(b.runId)];
    assert.ok(ma.length > 100);
    assert.deepEqual(ma, mb);
    await store.close();
  });

  it("splitting the seeds over two worker threads changes no number", async () => {
    const store = await tempStore();
    const a = await runExperiment(spec, { store, threads: 1 });
    const b = await runExperiment(spec, { store, threads: 2 });
    assert.deepEqual(await store.metrics(a.runId), await store.metrics(b.runId));
    // where the time went is reported (summed over both threads) but never stored: it differs run to run
    for (const r of [a, b]) {
      const t = r.timing!;
      assert.ok(t.trainingSeconds > 0 && t.metricsSeconds > 0 && t.stateSeconds > 0 && t.wallSeconds > 0, JSON.stringify(t));
      const busy = t.trainingSeconds + t.metricsSeconds + t.stateSeconds; // each rounded to the millisecond
      assert.ok(Math.abs(t.metricsShare - t.metricsSeconds / busy) < 0.001 + 0.002 / busy, JSON.stringify(t));
      assert.equal(((await store.getRun(r.runId))!.summary as { timing?: unknown }).timing, undefined);
    }
    await store.close();
  });

  it("a different base seed gives different numbers", async () => {
    const store = await tempStore();
    const a = await runExperiment(spec, { store, threads: 1 });
    const b = await runExperiment({ ...spec, seed: 1 }, { store, threads: 1 });
    assert.notDeepEqual(await store.metrics(a.runId), await store.metrics(b.runId));
    await store.close();
  });
});
