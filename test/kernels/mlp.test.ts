// The fused MLP kernel against the jitted jax-js step: same batches, every objective, knob and
// optimiser; float32 agreement step by step, and bit-for-bit determinism of the kernel itself.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { init, numpy as np, tree } from "@jax-js/jax";
import type { ExperimentInput } from "../../src/experiment/schema.ts";
import { BatchBuilder } from "../../src/train/batch.ts";
import { chooseEngine, FusedTrainer } from "../../src/train/fused.ts";
import { stepHyper } from "../../src/train/lr.ts";
import { initOptState, stepInputs } from "../../src/train/optim.ts";
import { makePlan } from "../../src/train/plan.ts";
import { ShardTrainer } from "../../src/train/shard.ts";
import { buildStep } from "../../src/train/step.ts";
import { tinySpec } from "../train/_helpers.ts";

before(async () => { await init("wasm"); });

const flat = (p: unknown) => (tree.leaves(tree.ref(p as any)) as np.Array[]).map((a) => a.dataSync() as Float32Array);

/** Trains `steps` steps both ways from the same initial weights; returns the worst discrepancies. */
function compare(over: ExperimentInput, steps: number, seeds = [0, 1, 2]) {
  const plan = makePlan(tinySpec(over));
  assert.equal(chooseEngine(plan).engine, "fused", chooseEngine(plan).reason);
  const t = plan.spec.train, S = seeds.length, B = t.batch;
  const jaxBatches = new BatchBuilder(plan, seeds), rawBatches = new BatchBuilder(plan, seeds);
  const stepFn = buildStep({ model: plan.model, optim: t, objectives: plan.kinds });
  const hyper = stepHyper(t, plan.schedule, plan.envNames);
  let params: unknown = plan.model.init(plan.spec.seed, seeds), opt = initOptState(t, params), ref: unknown;
  const fused = new FusedTrainer(plan, seeds);
  fused.load({ params, opt });
  const starts = new Set(plan.schedule.phases.map((p) => p.start));
  const usesRef = plan.kinds.some((d) => d.reference === "phase");
  let lossErr = 0, maxLoss = 0;
  for (let s = 0; s < steps; s++) {
    if (usesRef && starts.has(s)) {
      if (ref) tree.dispose(ref as any);
      ref = tree.ref(params as any);
      fused.kernel.snapshotRef();
    }
    const h = hyper?.(s);
    const [p2, o2, l] = stepFn(params as any, opt, ref ? { p: tree.ref(ref as any) } : {}, jaxBatches.build(s), np.array(s + 1), h ? stepInputs(t, h.lr, h.clip) : {});
    [params, opt] = [p2, o2];
    const lj = l.dataSync() as Float32Array;
    const lf = fused.step(s, rawBatches.raw(s), h?.lr ?? t.lr, h?.clip ?? 0);
    assert.equal(lf.length, S * B);
    for (let i = 0; i < lj.length; i++) { lossErr = Math.max(lossErr, Math.abs(lj[i]! - lf[i]!)); maxLoss = Math.max(maxLoss, Math.abs(lj[i]!)); }
  }
  const pj = flat(params), pf = fused.kernel.leaves("params")!;
  let paramErr = 0, scale = 0, n = 0;
  pj.forEach((a) => a.forEach((v) => { scale = Math.max(scale, Math.abs(v)); n++; }));
  // Adam divides by √v: where a gradient is near eps in size its update is ill-conditioned, and a
  // float32 difference in the gradient moves the weight by a fraction of lr. Those few weights are
  // counted apart (at most 1 in 10⁴, and within lr/10 a step); every other weight agrees to 2e-5.
  const tol = 2e-5 * Math.max(1, scale);
  let outliers = 0, outlierErr = 0;
  pj.forEach((a, k) => a.forEach((v, i) => {
    const d = Math.abs(v - pf[k]![i]!);
    if (d <= tol) paramErr = Math.max(paramErr, d);
    else { outliers++; outlierErr = Math.max(outlierErr, d); }
  }));
  const back = fused.ensemble(usesRef); // the kernel's state as jax-js arrays: what the metrics read
  assert.deepEqual(flat(back.params).map((a) => Array.from(a)), pf.map((a) => Array.from(a)));
  tree.dispose([params, opt, ref ?? [], back] as any);
  return { lossErr, maxLoss, paramErr, scale, outliers, outlierErr, n, lr: t.lr };
}

function agrees(over: ExperimentInput, steps = 12) {
  const r = compare(over, steps);
  assert.ok(r.maxLoss > 0.1, `a non-trivial loss (${r.maxLoss})`);
  assert.ok(r.lossErr <= 2e-5 * Math.max(1, r.maxLoss), `per-example losses agree: worst |Δ| ${r.lossErr} (loss up to ${r.maxLoss})`);
  assert.ok(r.outliers <= r.n * 1e-4 && r.outlierErr <= 0.1 * r.lr * steps,
    `weights agree after ${steps} steps: ${r.outliers} of ${r.n} beyond 2e-5·max(1, ${r.scale}), worst |Δ| ${r.outlierErr}`);
}

const twoEnvs = (a: unknown, b: unknown) => ({ envs: [{ name: "A", objective: a }, { name: "B", objective: b }] }) as ExperimentInput;

describe("fused MLP kernel = jitted jax-js step (float32)", () => {
  it("sft, Adam, defaults", () => agrees({ ...twoEnvs("sft", "sft"), model: { hidden: [32, 24] } }));
  it("reward with and without baseline, momentum SGD", () =>
    agrees({ ...twoEnvs({ kind: "reward", baseline: "mean" }, { kind: "reward", baseline: "none" }), schedule: { kind: "mixture" }, train: { optimizer: "momentum", lr: 0.01 } }));
  it("preference against the phase's reference, plain SGD with weight decay", () =>
    agrees({ ...twoEnvs("sft", { kind: "preference", beta: 0.3 }), schedule: { kind: "blocks", phaseSteps: 5 }, train: { optimizer: "sgd", lr: 0.05, weightDecay: 0.1 } }, 14));
  it("all objectives in one batch, per-env heads, bottleneck, dropout, l1, L2 Init, Adam with weight decay", () =>
    agrees({
      envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "reward" }, { name: "C", objective: { kind: "preference", beta: 0.2 } }],
      schedule: { kind: "mixture" },
      model: { hidden: [24, 16], bottleneck: 4, heads: "per-env", dropout: 0.2, l1: 0.01 },
      train: { optimizer: "adam", lr: 0.003, weightDecay: 0.01, l2Init: 0.1, batch: 16 },
    }));
  it("lr schedule and per-seed gradient clipping by global norm", () =>
    agrees({ ...twoEnvs("sft", "reward"), model: { hidden: [16] }, train: { optimizer: "momentum", lr: 0.05, lrSchedule: { kind: "cosine", warmup: 3 }, gradClip: 0.05 } }));
  it("the reference workload's shapes (32→128→128→8, batch 64) with Adam", () =>
    agrees({ world: { content: 24, cue: 8, classes: 8 }, ...twoEnvs("sft", "sft"), model: { hidden: [128, 128] }, train: { batch: 64 } }, 6));
});

describe("fused MLP kernel determinism", () => {
  const run = (seeds: number[]) => {
    const plan = makePlan(tinySpec({ ...twoEnvs("sft", "reward"), model: { hidden: [32], dropout: 0.1 } }));
    const f = new FusedTrainer(plan, seeds), b = new BatchBuilder(plan, seeds);
    const p = plan.model.init(plan.spec.seed, seeds), o = initOptState(plan.spec.train, p);
    f.load({ params: p, opt: o });
    tree.dispose([p, o] as any);
    for (let s = 0; s < 10; s++) f.step(s, b.raw(s), plan.spec.train.lr, 0);
    return f.kernel.leaves("params")!.map((a) => Array.from(a));
  };
  it("the same numbers bit for bit from run to run", () => assert.deepEqual(run([0, 1, 2]), run([0, 1, 2])));
  it("a seed's numbers do not depend on the shard that trains it", () => {
    const all = run([0, 1, 2]), last = run([2]);
    all.forEach((a, k) => assert.deepEqual(a.slice((2 * a.length) / 3), last[k]));
  });
});

describe("engine choice", () => {
  it("auto trains an MLP with the built-in objectives in the fused kernel; jax when asked", () => {
    assert.deepEqual(chooseEngine(makePlan(tinySpec())), { engine: "fused" });
    assert.deepEqual(chooseEngine(makePlan(tinySpec({ train: { engine: "jax" } }))), { engine: "jax", reason: "train.engine: jax" });
  });
  it("falls back to jax-js, saying why, for what the kernel does not cover; engine fused there is refused", () => {
    const plan = makePlan(tinySpec());
    const other = { ...plan, model: { ...plan.model }, spec: { ...plan.spec, model: { kind: "rnn" } } } as unknown as typeof plan; // not the MLP
    assert.deepEqual(chooseEngine(other), { engine: "jax", reason: 'model kind "rnn" has no fused kernel' });
    const forced = { ...other, spec: { ...other.spec, train: { ...other.spec.train, engine: "fused" } } } as typeof plan;
    assert.throws(() => chooseEngine(forced), (e: any) => e.code === "E_SPEC" && /fused cannot train this run: model kind "rnn"/.test(e.message));
  });
});

describe("a shard trained by the fused kernel measures what the jax-js shard measures", () => {
  it("every checkpoint metric agrees to float32 rounding (all objectives, per-env heads, dropout, baselines off)", () => {
    const over: ExperimentInput = {
      envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "reward" }, { name: "C", objective: { kind: "preference", beta: 0.2 } }],
      schedule: { kind: "blocks", phaseSteps: 20 },
      model: { hidden: [24, 16], heads: "per-env", dropout: 0.1 },
      train: { steps: 60, evalEvery: 20, batch: 16, probes: 32, optimizer: "momentum", lr: 0.01 },
    };
    const metrics = (engine: "fused" | "jax") => {
      const plan = makePlan(tinySpec({ ...over, train: { ...over.train, engine } }));
      const tr = new ShardTrainer(plan, [0, 1]);
      assert.equal(tr.engine.engine, engine);
      const out: Record<string, number[]> = {};
      for (const ev of tr.run(0)) if (ev.type === "checkpoint") for (const [k, v] of Object.entries(ev.metrics)) (out[k] ??= []).push(...v);
      tr.dispose();
      return out;
    };
    const j = metrics("jax"), f = metrics("fused");
    assert.deepEqual(Object.keys(f).sort(), Object.keys(j).sort());
    let compared = 0;
    for (const [k, a] of Object.entries(j))
      a.forEach((v, i) => {
        const w = f[k]![i]!;
        if (Number.isNaN(v)) return assert.ok(Number.isNaN(w), `${k}[${i}]: jax NaN, fused ${w}`);
        compared++;
        assert.ok(Math.abs(v - w) <= 1e-4 * Math.max(1, Math.abs(v)), `${k}[${i}]: jax ${v}, fused ${w}`);
      });
    assert.ok(compared > 100, `${compared} numbers compared`);
  });
});

describe("the committed kernel", () => {
  it("is what scripts/build-kernel.sh builds from src/kernels/mlp.c", (t) => {
    const clang = spawnSync("clang", ["--version"]);
    if (clang.error || clang.status !== 0) return t.skip("no clang here (apt-get install -y clang lld): the committed .wasm cannot be rebuilt to compare");
    const out = join(mkdtempSync(join(tmpdir(), "ecotone-kernel-")), "mlp.wasm");
    const r = spawnSync(fileURLToPath(new URL("../../scripts/build-kernel.sh", import.meta.url)), [out], { encoding: "utf8" });
    if (r.status !== 0 && /wasm-ld|unknown target|lld/.test(r.stderr)) return t.skip(`clang cannot link wasm32 here: ${r.stderr.trim().split("\n").pop()}`);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(new URL("../../src/kernels/mlp.wasm", import.meta.url))), "src/kernels/mlp.wasm is stale: run scripts/build-kernel.sh");
  });
});
