// Batches: per-seed streams, finite datasets and bootstrap resamples.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { init, tree } from "@jax-js/jax";
import { BatchBuilder } from "../../src/train/batch.ts";
import { makePlan } from "../../src/train/plan.ts";
import { tinySpec } from "./_helpers.ts";

before(async () => { await init("wasm"); });

/** The distinct input rows seed s sees over `steps` steps. */
function rowsSeen(b: BatchBuilder, S: number, s: number, steps: number, B: number, D: number): Set<string> {
  const seen = new Set<string>();
  for (let t = 0; t < steps; t++) {
    const batch = b.build(t);
    const x = batch.x.ref.dataSync() as Float32Array;
    for (let r = 0; r < B; r++) seen.add(Array.from(x.subarray((s * B + r) * D, (s * B + r + 1) * D)).join(","));
    tree.dispose(batch);
  }
  return seen;
}

describe("BatchBuilder", () => {
  it("a seed's batch does not depend on which other seeds share its shard", () => {
    const plan = makePlan(tinySpec());
    const a = new BatchBuilder(plan, [0, 1, 2]).build(5), b = new BatchBuilder(plan, [2]).build(5);
    const B = plan.spec.train.batch, D = plan.world.inputDim;
    assert.deepEqual(Array.from((a.x.dataSync() as Float32Array).subarray(2 * B * D)), Array.from(b.x.dataSync() as Float32Array));
  });

  it("with a finite dataset every seed draws from the same fixed pool", () => {
    const plan = makePlan(tinySpec({ train: { dataset: 20, batch: 16 }, schedule: { kind: "blocks", phaseSteps: 10 } }));
    const b = new BatchBuilder(plan, [0, 1]);
    const s0 = rowsSeen(b, 2, 0, 30, 16, plan.world.inputDim), s1 = rowsSeen(new BatchBuilder(plan, [0, 1]), 2, 1, 30, 16, plan.world.inputDim);
    assert.ok(s0.size <= 2 * 20 && s0.size > 20, `${s0.size} rows (two envs × 20)`); // the schedule visits both envs
    assert.deepEqual([...s0].sort(), [...s1].sort());
  });

  it("with bootstrap each seed trains on its own resample of the pool", () => {
    const plan = makePlan(tinySpec({ train: { dataset: 20, batch: 16, bootstrap: true }, schedule: { kind: "blocks", phaseSteps: 1000 } }));
    const D = plan.world.inputDim;
    const s0 = rowsSeen(new BatchBuilder(plan, [0, 1]), 2, 0, 40, 16, D), s1 = rowsSeen(new BatchBuilder(plan, [0, 1]), 2, 1, 40, 16, D);
    assert.ok(s0.size < 20 && s1.size < 20, `resamples miss some of the pool: ${s0.size}, ${s1.size}`); // ≈ 63% of 20
    assert.notDeepEqual([...s0].sort(), [...s1].sort());
  });
});
