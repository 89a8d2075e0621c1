// The classification on real training, in regimes whose class is clear by design, and the
// weighted-sum baselines that ecotone trains itself.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Store } from "../../src/store/index.ts";
import { runExperiment } from "../../src/train/run.ts";
import { tempStore, tinySpec } from "./_helpers.ts";

let store: Store;
before(async () => { store = await tempStore(); });
after(async () => { await store.close(); });

const regimes: [string, Parameters<typeof tinySpec>[0], string][] = [
  ["an undetectable environment under a stationary mixture → ecological generalist",
    { world: { distinguishability: 0, similarity: 0.5 }, schedule: { kind: "mixture" } }, "ecological-generalist"],
  ["a perfectly cued environment under a stationary mixture → conditional policy",
    { world: { distinguishability: 1, similarity: 0 }, schedule: { kind: "mixture" } }, "conditional-policy"],
  ["an undetectable environment in alternating blocks → strategy churn",
    { world: { distinguishability: 0, similarity: 0 }, schedule: { kind: "blocks", phaseSteps: 100 } }, "strategy-churn"],
];

describe("classification of clear regimes", () => {
  for (const [name, over, label] of regimes)
    it(name, async () => {
      const r = await runExperiment(tinySpec({ seeds: 6, ...over, train: { steps: 600, evalEvery: 25 } }), { store, threads: 2 });
      assert.equal(r.classification?.label, label, JSON.stringify(r.classification?.scores));
      // the live label is stored at every checkpoint
      const labels = (await store.metrics(r.runId, { keys: ["class/label"] })).filter((p) => p.seed === -1);
      assert.equal(labels.length, 600 / 25 + 1);
    });
});

describe("weighted-sum baselines", () => {
  it("are trained on request, reused when the same experiment runs again, and compared live", async () => {
    const spec = tinySpec({ baselines: true, world: { distinguishability: 0, similarity: 0 }, schedule: { kind: "blocks", phaseSteps: 50 }, train: { steps: 200, evalEvery: 50 } });
    const a = await runExperiment(spec, { store, threads: 1 });
    assert.ok(a.baselines && a.baselines.mixture && a.baselines.specialists.A && a.baselines.specialists.B);
    const runs = (await store.listRuns()).length;
    const b = await runExperiment(spec, { store, threads: 1 });
    assert.deepEqual(b.baselines, a.baselines);
    assert.equal((await store.listRuns()).length, runs + 1); // only the new main run
    // The mixture optimiser is beaten by each specialist on that specialist's own environment.
    for (const e of ["A", "B"]) assert.ok(a.final[`ws/mixtureVsSpecialist:${e}`]!.mean < -0.1, e);
    for (const k of ["ws/jsMixture", "ws/jsSpecialist", "mature/level:A"]) assert.ok(Number.isFinite(a.final[k]!.mean), k);
  });
});
