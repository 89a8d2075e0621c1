// An interrupted transformer run on the token world resumes from its last checkpoint to exactly
// the numbers of an uninterrupted one: the per-seed graphs, the DPO reference policy (frozen at
// the phase start, before the cut) and the reward baseline all come back from the stored state.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { init } from "@jax-js/jax";
import { loadSpec, parseSpec } from "../../src/experiment/load.ts";
import type { Store } from "../../src/store/index.ts";
import { resumeRun, runExperiment } from "../../src/train/run.ts";
import { tempStore } from "./_helpers.ts";

let store: Store;
before(async () => { await init("wasm"); store = await tempStore(); });
after(async () => { await store.close(); });

test("an interrupted transformer run resumes to the same numbers as an uninterrupted one", async () => {
  const base = (await loadSpec("examples/transformer.yaml")) as Record<string, any>;
  const spec = parseSpec({
    ...base, seeds: 2,
    envs: [{ name: "A", objective: "sft" }, { name: "B", objective: { kind: "preference", beta: 0.1 } }, { name: "C", objective: { kind: "reward", baseline: "mean" } }],
    schedule: { kind: "blocks", phaseSteps: 25 },
    train: { ...base.train, steps: 90, evalEvery: 15, probes: 16 },
  }, "transformer-resume");
  const whole = await runExperiment(spec, { store, threads: 1 });
  assert.equal(whole.status, "completed");
  const ac = new AbortController();
  // phases A [0, 25), B (DPO) [25, 50), C (reward) [50, 75), A: the cut keeps the checkpoint at 45, so
  // the resumed run trains 45..50 against B's reference policy frozen at step 25, then C's baseline
  const cut = await runExperiment(spec, { store, threads: 1, signal: ac.signal, onProgress: (s) => { if (s >= 52) ac.abort(); } });
  assert.equal(cut.status, "interrupted");
  const kept = await store.lastStep(cut.runId);
  assert.ok(kept !== undefined && kept >= 45 && kept < 90, `kept checkpoints up to ${kept}`);
  const before = await store.metrics(cut.runId);
  const done = await resumeRun(cut.runId, { store, threads: 1 });
  assert.equal(done.status, "completed");
  const strip = (ps: { step: number; seed: number; key: string; value: number | null }[]) => ps.map(({ step, seed, key, value }) => [step, seed, key, value]);
  const resumed = await store.metrics(cut.runId), uncut = await store.metrics(whole.runId);
  assert.ok(resumed.some((p) => p.key.startsWith("seq/exact") && p.step === 90), "the sequence metrics reach the end");
  assert.deepEqual(strip(resumed), strip(uncut));
  assert.deepEqual(strip(resumed.filter((p) => p.step <= kept!)), strip(before.filter((p) => p.step <= kept!)), "nothing finished before the cut was rewritten");
});
