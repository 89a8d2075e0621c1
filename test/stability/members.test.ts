// One member of an ensemble as a plain jax-js model must be the very model the ensemble trained:
// checked against the ensemble's own evaluation, and against the stored run, bit for bit.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, nn, tree } from "@jax-js/jax";
import { memberOf, probeBatch } from "../../src/stability/members.ts";
import { trainingSet } from "../../src/stability/data.ts";
import { loadMember } from "../../src/stability/inspect.ts";
import { trainWithSnapshots } from "../../src/stability/snapshots.ts";
import { openStore } from "../../src/store/index.ts";
import { loadModels } from "../../src/train/baselines.ts";
import { makePlan } from "../../src/train/plan.ts";
import { runExperiment } from "../../src/train/run.ts";
import { tinySpec } from "./_fixtures.ts";
import type { TeacherWorld } from "../../src/envs/teacher.ts";

const teacherOf = (plan: ReturnType<typeof makePlan>) => plan.world as TeacherWorld; // these specs use the teacher world

before(async () => {
  await init("wasm");
});

describe("ensemble members as plain models", () => {
  // The jitted engine evaluates with the very graph a member uses: bit for bit. The fused kernel
  // evaluates the same parameters in its own order: float32 rounding apart.
  for (const [heads, engine] of [["shared", "jax"], ["per-env", "jax"], ["shared", "fused"]] as const)
    it(`reproduce the ensemble's probe outputs ${engine === "jax" ? "exactly" : "to float32 rounding"} (${heads} heads, ${engine} engine)`, async () => {
      const store = await openStore(":memory:");
      const spec = tinySpec({ model: { hidden: [16], heads }, novel: [{ kind: "fresh" }] }, { engine });
      const { runId } = await runExperiment(spec, { store, threads: 1 });
      const { trainer } = await loadModels(store, runId);
      const all = trainer.outputs(); // [S, envs·N, C]
      const plan = makePlan(spec);
      const { batch, f } = probeBatch(plan, [0, 1, 2]);
      for (const g of [0, 2]) {
        const p = memberOf(trainer, g);
        const probs = nn.softmax(f(tree.ref(p), batch.x.ref), -1).dataSync();
        const want = all.subarray(g * probs.length, (g + 1) * probs.length);
        if (engine === "jax") assert.deepEqual(Array.from(probs), Array.from(want));
        else Array.from(probs as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `probe output ${i}: ${v} against ${want[i]}`));
        tree.dispose(p);
      }
      tree.dispose(batch);
      trainer.dispose();
      await store.close();
    });

  it("a member retrained alone with snapshots ends exactly where its ensemble's stored run ended", async () => {
    const store = await openStore(":memory:");
    const spec = tinySpec();
    const { runId } = await runExperiment(spec, { store, threads: 1 });
    const stored = await loadMember(store, runId, 1);
    const snaps = trainWithSnapshots(spec, 1);
    assert.deepEqual(snaps.map((s) => s.step), [0, 50, 100, 150]);
    const last = snaps.at(-1)!;
    const flat = (p: object) => tree.leaves(p).flatMap((l) => Array.from((l as { ref: { dataSync(): Float32Array } }).ref.dataSync()));
    assert.deepEqual(flat(last.params), flat(stored.params));
    const acc = (await store.metrics(runId, { keys: ["perf/acc:A"], fromStep: 150 })).find((p) => p.seed === 1)!.value;
    assert.equal(last.metrics["perf/acc:A"], acc);
    tree.dispose([stored.params, snaps.map((s) => s.params)]);
    await store.close();
  });

  it("rejects a seed outside the ensemble", async () => {
    assert.throws(() => trainWithSnapshots(tinySpec(), 3), /seed must be an integer in \[0, 3\), got 3$/);
  });
});

describe("trainingSet", () => {
  it("is the spec's own finite pool when it has one, labels as trained", () => {
    const plan = makePlan(tinySpec({ world: { content: 12, cue: 4, classes: 4, labelNoise: 0.3 } }, { dataset: 40 }));
    const t = trainingSet(plan);
    assert.equal(t.source, "pool");
    assert.equal(t.n, 80);
    const y = t.batch.y.ref.dataSync();
    const x = t.batch.x.ref.dataSync();
    let clean = 0;
    for (let i = 0; i < 40; i++) clean += +(teacherOf(plan).label(0, x, i * plan.world.inputDim) === y[i]);
    assert.ok(clean < 40 && clean > 20, `noisy labels kept: ${clean}/40 clean`);
    tree.dispose(t.batch);
  });

  it("is a fixed sample of the training distribution, clean labels, otherwise", () => {
    const plan = makePlan(tinySpec());
    const a = trainingSet(plan, 64), b = trainingSet(plan, 64);
    assert.equal(a.source, "fresh");
    assert.equal(a.n, 128);
    const [xa, xb, ya] = [a.batch.x.ref.dataSync(), b.batch.x.ref.dataSync(), a.batch.y.ref.dataSync()];
    assert.deepEqual(Array.from(xa), Array.from(xb), "deterministic");
    for (const i of [0, 70, 127]) assert.equal(ya[i], teacherOf(plan).label(i < 64 ? 0 : 1, xa, i * plan.world.inputDim));
    tree.dispose([a.batch, b.batch]);
  });
});
