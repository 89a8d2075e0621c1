// Faults lose nothing: a diverging seed is recorded and the others go on; an interrupted run
// resumes from its last checkpoint and ends with exactly the numbers of an uninterrupted one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { init } from "@jax-js/jax";
import type { Store } from "../../src/store/index.ts";
import { makePlan } from "../../src/train/plan.ts";
import { resumeRun, runExperiment } from "../../src/train/run.ts";
import { ShardTrainer, type ShardEvent } from "../../src/train/shard.ts";
import { tempStore, tinySpec } from "./_helpers.ts";

let store: Store;
before(async () => { await init("wasm"); store = await tempStore(); });
after(async () => { await store.close(); });

const checkpointAt = (evs: ShardEvent[], step: number) => evs.find((e) => e.type === "checkpoint" && e.step === step) as ShardEvent & { type: "checkpoint" };

describe("divergence", () => {
  it("a seed whose weights turn NaN is recorded with step and env; the other seeds are untouched", () => {
    const plan = makePlan(tinySpec({ train: { steps: 80, evalEvery: 40 } }));
    const clean = new ShardTrainer(plan, [0, 1, 2, 3]);
    const sick = new ShardTrainer(plan, [0, 1, 2, 3]);
    [...clean.run(0, 40)];
    [...sick.run(0, 40)];
    const state = sick.state();
    const per = state.length / 4;
    state.fill(NaN, per, per + 10); // poison seed 1's first weights
    sick.restore(state, 40);
    const a = [...clean.run(40, 80)], b = [...sick.run(40, 80)];
    const div = b.filter((e) => e.type === "diverged");
    assert.deepEqual(div, [{ type: "diverged", seed: 1, step: 40, env: "A", what: "NaN loss" }]);
    const [ca, cb] = [checkpointAt(a, 80), checkpointAt(b, 80)];
    for (const [key, vals] of Object.entries(cb.metrics)) {
      assert.ok(Number.isNaN(vals[1]!), `${key} of the diverged seed is NaN`);
      for (const s of [0, 2, 3]) assert.equal(vals[s], ca.metrics[key]![s], `${key} seed ${s}`);
    }
  });

  it("a run whose every seed blows up ends diverged, with each divergence stored and no metric after it", async () => {
    const spec = tinySpec({ train: { optimizer: "sgd", lr: 1e6, steps: 60, evalEvery: 20 } });
    const r = await runExperiment(spec, { store, threads: 1 });
    assert.equal(r.status, "diverged");
    const row = (await store.getRun(r.runId))!;
    assert.equal(row.status, "diverged");
    assert.equal((row.summary as { status: string }).status, "diverged");
    assert.match(row.finishedAt ?? "", /^\d{4}-/);
    assert.equal((await resumeRun(r.runId, { store, threads: 1 })).status, "diverged", "final: a resume changes nothing");
    assert.equal(r.diverged.length, 4);
    for (const d of r.diverged) assert.ok(d.step < 60 && ["A", "B"].includes(d.env) && /NaN|inf/.test(d.what));
    assert.deepEqual(await store.divergences(r.runId), r.diverged);
    const late = (await store.metrics(r.runId, { fromStep: 60 })).filter((p) => p.key.startsWith("perf/"));
    assert.ok(late.length > 0 && late.every((p) => p.value === null));
    assert.equal(r.performance.A!.n, 0);
  });
});

describe("a loss that blows up and stays finite", () => {
  it("Adam at lr 10^6 is marked diverged (loss far above chance and rising), with where it happened", async () => {
    const spec = tinySpec({ train: { optimizer: "adam", lr: 1e6, steps: 120, evalEvery: 20 } });
    const r = await runExperiment(spec, { store, threads: 1 });
    assert.ok(r.diverged.length >= 3, `${r.diverged.length} of 4 seeds diverged: ${JSON.stringify(r.diverged)}`);
    assert.equal(r.status, r.diverged.length === 4 ? "diverged" : "completed");
    for (const d of r.diverged) assert.match(d.what, /NaN|inf|above 10× chance/);
  });
  it("an ordinary run, switching between conflicting teachers, is not", async () => {
    const r = await runExperiment(tinySpec({ schedule: { kind: "blocks", phaseSteps: 20 }, train: { steps: 120, evalEvery: 10, lr: 0.01 } }), { store, threads: 1 });
    assert.deepEqual(r.diverged, []);
    assert.equal(r.status, "completed");
  });
});

describe("interrupt and resume", () => {
  for (const threads of [1, 2])
    it(`an interrupted run resumes to the same numbers as an uninterrupted one (${threads} thread${threads > 1 ? "s" : ""})`, async () => {
      const spec = tinySpec({
        envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "preference" }],
        schedule: { kind: "blocks", phaseSteps: 30 }, train: { steps: 120, evalEvery: 20 },
      });
      const whole = await runExperiment(spec, { store, threads });
      const ac = new AbortController();
      const cut = await runExperiment(spec, { store, threads, signal: ac.signal, onProgress: (s) => { if (s >= 50) ac.abort(); } });
      assert.equal(cut.status, "interrupted");
      assert.equal((await store.getRun(cut.runId))!.status, "interrupted");
      const kept = await store.lastStep(cut.runId);
      assert.ok(kept !== undefined && kept >= 40 && kept < 120, `kept checkpoints up to ${kept}`);
      const before = await store.metrics(cut.runId);
      const done = await resumeRun(cut.runId, { store, threads });
      assert.equal(done.status, "completed");
      const strip = (ps: { step: number; seed: number; key: string; value: number | null }[]) => ps.map(({ step, seed, key, value }) => [step, seed, key, value]);
      const after = await store.metrics(cut.runId);
      assert.deepEqual(strip(after), strip(await store.metrics(whole.runId)));
      // Nothing finished before the interrupt was rewritten with other numbers.
      assert.deepEqual(strip(after.filter((p) => p.step <= kept!)), strip(before.filter((p) => p.step <= kept!)));
    });
});
