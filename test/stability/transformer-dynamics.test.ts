// The dynamics toolkit on a stored transformer run: the member is the ensemble's own forward pass
// at S = 1 (checked against the ensemble's logits), its loss teacher-forced next-token cross-entropy
// on the completion tokens, and landscape and LLC run on it like on an MLP member.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, tree } from "@jax-js/jax";
import { parseSpec } from "../../src/experiment/load.ts";
import { landscapeOfRun } from "../../src/stability/landscape.ts";
import { llcAlongTraining, llcOfRun } from "../../src/stability/llc.ts";
import { anyProbeBatch, trainedEnvs } from "../../src/stability/members.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { loadModels } from "../../src/train/baselines.ts";
import { makePlan } from "../../src/train/plan.ts";
import { runExperiment } from "../../src/train/run.ts";

const tinyTransformer = (model: Record<string, unknown> = {}) => parseSpec({
  name: "tiny-transformer",
  seeds: 2,
  world: { kind: "tokens", symbols: 4, content: 3, trigger: 1, distinguishability: 1, similarity: 0 },
  envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }],
  schedule: { kind: "mixture" },
  model: { kind: "transformer", layers: 1, dModel: 8, heads: 2, mlp: 16, ...model },
  train: { optimizer: "adam", lr: 0.01, steps: 60, evalEvery: 30, batch: 16, probes: 8 },
});

let store: Store;
let run: string, perEnv: string;

before(async () => {
  store = await openStore(":memory:");
  run = (await runExperiment(tinyTransformer(), { store, threads: 1 })).runId;
  perEnv = (await runExperiment(tinyTransformer({ outputHeads: "per-env" }), { store, threads: 1 })).runId;
});

/** Teacher-forced cross-entropy of ensemble member `s` on the trained probes, from the ensemble's own logits [S, n, P+L, V]. */
async function ensembleLoss(runId: string, s: number): Promise<number> {
  const { trainer } = await loadModels(store, runId);
  try {
    const plan = trainer.plan, seq = plan.world.sequence!, V = plan.world.classes, L = seq.completion, P = seq.prompt;
    const { batch, n } = anyProbeBatch(plan, trainedEnvs(plan));
    const y = batch.y.dataSync() as Int32Array;
    const N = plan.probes.prompts!, H = plan.model.heads;
    const heads = H > 1 ? np.array(Float32Array.from({ length: n * H }, (_, j) => +(j % H === Math.floor(Math.floor(j / H) / N))), { shape: [1, n, H, 1] }) : undefined;
    const out = plan.model.apply(tree.ref(trainer.params()), batch.x.reshape([1, n, P + L]), { heads });
    tree.dispose(out.hidden);
    const logits = out.logits.dataSync() as Float32Array; // [S, n, P+L, V]
    let sum = 0;
    for (let i = 0; i < n; i++)
      for (let l = 0; l < L; l++) {
        const o = ((s * n + i) * (P + L) + P - 1 + l) * V;
        const row = Array.from(logits.subarray(o, o + V)), m = Math.max(...row);
        const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        sum += lse - row[y[i * L + l]!]!;
      }
    return sum / (n * L);
  } finally {
    trainer.dispose();
  }
}

describe("landscape of a transformer member", () => {
  it("reads the member through the ensemble's own forward pass: its loss is the ensemble's, seed by seed", async () => {
    for (const s of [0, 1]) {
      const r = await landscapeOfRun(store, run, { seed: s, iters: 10, samples: 2, steps: 5, draws: 1 });
      const want = await ensembleLoss(run, s);
      assert.ok(Math.abs(r.loss - want) < 1e-4, `seed ${s}: member loss ${r.loss} vs ensemble ${want}`);
      assert.equal(r.n, 2 * 8, "one row per trained probe prompt");
    }
  });

  it("measures sharpness, trace and a slice consistent with the loss", async () => {
    const r = await landscapeOfRun(store, run, { seed: 1, iters: 30, samples: 4, steps: 11, draws: 2 });
    // 1 layer, d 8, mlp 16, context 1 + 3 + 1 + 3 = 8, untied; V: the world's vocabulary (symbols, triggers, separator)
    const d = 8, M = 16, V = makePlan(tinyTransformer()).world.classes, T = 8;
    assert.equal(r.params, V * d + T * d + 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * M + M) + (M * d + d) + 2 * d + d * V);
    assert.ok(Math.abs(r.slice.losses[5]! - r.loss) < 1e-5, "slice at α = 0 is the loss");
    assert.equal(r.weightNoise.loss[0], r.loss);
    assert.equal(r.dropout.acc[0], r.acc);
    assert.ok(r.sharpness.eigenvalue > 0 && Number.isFinite(r.trace.mean));
    assert.ok(r.acc >= 0 && r.acc <= 1);
  });

  it("binds each probe row to its environment's output head (outputHeads: per-env)", async () => {
    const r = await landscapeOfRun(store, perEnv, { seed: 0, iters: 5, samples: 2, steps: 3, draws: 1 });
    const want = await ensembleLoss(perEnv, 0);
    assert.ok(Math.abs(r.loss - want) < 1e-4, `member loss ${r.loss} vs ensemble ${want}`);
  });
});

describe("LLC of a transformer member", () => {
  const FAST = { perEnv: 32, chains: 2, draws: 20, burnIn: 10 };
  it("estimates the LLC at the stored state on teacher-forced sequences", async () => {
    const r = await llcOfRun(store, run, { seed: 0, ...FAST });
    assert.equal(r.n, 64);
    assert.equal(r.chains.length, 2);
    assert.equal(r.chains[0]!.lossTrace.length, 20);
    assert.ok(Number.isFinite(r.llc) && r.llc < r.params / 2, `λ̂ = ${r.llc} should be below the regular ${r.params / 2}`);
    assert.ok(Number.isFinite(r.initLoss) && r.initLoss > 0);
  });

  it("takes L_n on the finite pool when the spec trains on one (targets: the pool's completion tokens)", async () => {
    const pooled = (await runExperiment(parseSpec({ ...tinyTransformer(), train: { ...tinyTransformer().train, dataset: 16 } }), { store, threads: 1 })).runId;
    const r = await llcOfRun(store, pooled, { seed: 0, ...FAST });
    assert.equal(r.source, "pool");
    assert.equal(r.n, 2 * 16);
    assert.ok(Number.isFinite(r.llc) && r.initLoss > 0);
  });

  it("tracks it along training, retrained deterministically", () => {
    const r = llcAlongTraining(tinyTransformer(), { seed: 1, ...FAST, chains: 1, draws: 10 });
    assert.deepEqual(r.steps, [0, 30, 60]);
    assert.ok(r.llc.every(Number.isFinite));
    assert.ok(r.initLoss[0]! > r.initLoss[2]!, `training lowers L_n: ${r.initLoss}`);
  });
});
