// Dynamics you can see, as properties of real training rather than fixed numbers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Store } from "../../src/store/index.ts";
import { runExperiment } from "../../src/train/run.ts";
import { curve, tempStore, tinySpec } from "./_helpers.ts";

let store: Store;
before(async () => { store = await tempStore(); });
after(async () => { await store.close(); });

const acc = async (runId: string, env: string) => curve(await store.metrics(runId), `perf/acc:${env}`);

describe("dynamics", () => {
  it("blocks A→B with conflicting teachers: accuracy on A falls after the switch to B", async () => {
    const spec = tinySpec({ schedule: { kind: "blocks", phaseSteps: 200 }, world: { similarity: 0 }, train: { steps: 400, evalEvery: 50 } });
    const r = await runExperiment(spec, { store, threads: 1 });
    const a = await acc(r.runId, "A"), b = await acc(r.runId, "B");
    assert.ok(a.get(200)! > 0.6, `A learned in its phase: ${a.get(200)}`);
    assert.ok(a.get(400)! < a.get(200)! - 0.2, `A forgotten during B: ${a.get(200)} → ${a.get(400)}`);
    assert.ok(b.get(400)! > b.get(200)! + 0.3, `B learned in its phase: ${b.get(200)} → ${b.get(400)}`);
  });

  it("a mixture schedule holds both conflicting environments at an intermediate level", async () => {
    // The cue is noise, so no policy can serve both: the best is a compromise.
    const world = { similarity: 0, distinguishability: 0 };
    const mix = await runExperiment(tinySpec({ schedule: { kind: "mixture" }, world, train: { steps: 400, evalEvery: 50 } }), { store, threads: 1 });
    const a = await acc(mix.runId, "A"), b = await acc(mix.runId, "B");
    for (const t of [300, 350, 400]) {
      assert.ok(a.get(t)! > 0.2 && a.get(t)! < 0.8 && b.get(t)! > 0.2 && b.get(t)! < 0.8, `step ${t}: A ${a.get(t)}, B ${b.get(t)}`);
      assert.ok(a.get(t)! + b.get(t)! > 0.7, `step ${t}: the compromise is better than chance on the whole: ${a.get(t)! + b.get(t)!}`);
    }
    // A specialist on A alone gets much further on A.
    const spec = await runExperiment(tinySpec({ envs: [{ name: "A" }], world, train: { steps: 400, evalEvery: 50 } }), { store, threads: 1 });
    assert.ok((await acc(spec.runId, "A")).get(400)! > a.get(400)! + 0.2);
  });

  for (const objective of ["sft", "reward", "preference"] as const)
    it(`the ${objective} objective improves its own environment`, async () => {
      const r = await runExperiment(tinySpec({ envs: [{ name: "A", objective }], train: { steps: 300, evalEvery: 100 } }), { store, threads: 1 });
      const a = await acc(r.runId, "A");
      assert.ok(a.get(300)! > a.get(0)! + 0.3, `${objective}: ${a.get(0)} → ${a.get(300)}`);
      const loss = curve(await store.metrics(r.runId), "perf/loss:A");
      assert.ok(loss.get(300)! < loss.get(0)!, `${objective}: probe loss ${loss.get(0)} → ${loss.get(300)}`);
    });
});
