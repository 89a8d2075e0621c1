import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { numpy as np, tree } from "@jax-js/jax";
import { deadFraction, effectiveRankFast, freshRatio, meanAbsWeight, phaseEndAccuracy, plasticity, plasticityFresh } from "../../src/metrics/live/plasticity.ts";
import { effectiveRank } from "../../src/metrics/rank.ts";
import { initOptState, update, type OptimConfig } from "../../src/train/optim.ts";
import { makePlan } from "../../src/train/plan.ts";
import { resumeRun, runExperiment } from "../../src/train/run.ts";
import { tempStore, tinySpec } from "../train/_helpers.ts";
import { close, matmul, randn, randomOrthogonal } from "./_fixtures.ts";

describe("deadFraction", () => {
  it("counts the columns that are zero on every row", () => {
    // [4, 5]: columns 1 and 3 zero throughout; column 4 zero but for one row
    const h = Float64Array.from([
      1, 0, 2, 0, 0,
      0, 0, 3, 0, 0,
      4, 0, 0, 0, 0,
      5, 0, 1, 0, 7,
    ]);
    assert.equal(deadFraction(h, 4, 5), 2 / 5);
  });
  it("is 0 for a linear layer (negative values are alive) and 1 for an all-zero one", () => {
    assert.equal(deadFraction(Float64Array.from([-1, 2, -3, -4]), 2, 2), 0);
    assert.equal(deadFraction(new Float64Array(12), 3, 4), 1);
  });
});

describe("effectiveRankFast", () => {
  // diag(3, 1): p = (.75, .25), H = −.75 ln .75 − .25 ln .25 = 0.5623351 → exp = 1.7547654
  it("of known singular values: (3, 1) by hand, (2, 2, 2) → 3, the zero matrix → 0", () => {
    const spectrum = (sigma: number[], M: number, H: number) => {
      const d = new Float64Array(M * H);
      sigma.forEach((v, i) => (d[i * H + i] = v));
      return matmul(matmul(randomOrthogonal(1, M), d, M, M, H), randomOrthogonal(2, H), M, H, H);
    };
    close(effectiveRankFast(spectrum([3, 1], 6, 4), 6, 4), 1.7547654, 1e-6);
    close(effectiveRankFast(spectrum([2, 2, 2], 5, 9), 5, 9), 3, 1e-9);
    assert.equal(effectiveRankFast(new Float64Array(12), 3, 4), 0);
    assert.ok(Number.isNaN(effectiveRankFast(Float64Array.of(1, NaN, 0, 2), 2, 2)), "a diverged model");
  });
  it("agrees with rank.ts's effectiveRank (the Jacobi oracle) on ReLU-like matrices, tall and wide", () => {
    for (const [M, H] of [[40, 12], [12, 40], [64, 64], [1, 5]] as const) {
      const x = randn(M + H, M, H).map((v) => Math.max(0, v)); // half the entries zero, as after a ReLU
      close(effectiveRankFast(x, M, H), effectiveRank(x, M, H), 1e-9, `${M}×${H}`);
    }
  });
});

describe("meanAbsWeight", () => {
  it("is the mean |w| over all of a seed's parameters, seed by seed", () => {
    // two leaves of 2 seeds: w [2, 3], b [2, 1]; seed 0 owns (1, −2, 3 | −4), seed 1 (0, 0, 0.5 | 1.5)
    const got = meanAbsWeight([Float32Array.from([1, -2, 3, 0, 0, 0.5]), Float32Array.from([-4, 1.5])], 2);
    assert.deepEqual(Array.from(got), [10 / 4, 2 / 4]);
  });
});

describe("freshRatio and phaseEndAccuracy", () => {
  const phases = [{ start: 0, end: 100, env: "A" }, { start: 100, end: 200, env: "B" }, { start: 200, end: 300, env: "A" }, { start: 300, end: 400, env: "B" }];
  const steps = [0, 50, 100, 150, 200, 250, 300];
  const accA = [0.25, 0.6, 0.8, 0.5, 0.45, 0.55, 0.6];
  it("reads the last checkpoint at or before each completed phase's end", () => {
    assert.deepEqual(phaseEndAccuracy(steps, accA, phases, "A"), [0.8, 0.6]);
    assert.deepEqual(phaseEndAccuracy(steps, accA, phases, "B"), [0.45]); // B's second phase has not ended
    assert.deepEqual(phaseEndAccuracy([0, 400], [0.25, 0.9], phases, "A"), [], "no checkpoint inside a phase: skipped");
  });
  it("is the latest end over the first; NaN before a second phase ends", () => {
    close(freshRatio([0.8, 0.6]), 0.75, 1e-12);
    close(freshRatio([0.8, 0.4, 0.7]), 0.875, 1e-12);
    assert.ok(Number.isNaN(freshRatio([0.8])));
    assert.ok(Number.isNaN(freshRatio([0, 0.5])));
  });
  it("the run-level metric gives per environment and the mean, replayed after a resume as live", () => {
    const plan = makePlan(tinySpec({ seeds: 2, schedule: { kind: "blocks", phaseSteps: 100 }, train: { steps: 400, evalEvery: 50 } }));
    const accB = [0.25, 0.25, 0.25, 0.7, 0.9, 0.6, 0.45];
    const values = (i: number) => ({ "perf/acc:A": Float64Array.of(accA[i]!, accA[i]! / 2), "perf/acc:B": Float64Array.of(accB[i]!, accB[i]!) });
    const live = plasticityFresh.create(plan);
    let last: Record<string, unknown> = {};
    steps.forEach((step, i) => { last = live.measure({ step, plan, values: values(i) }); });
    const got = last as Record<string, Float64Array>;
    close(got["plastic/fresh:A"]![0]!, 0.75, 1e-12);
    close(got["plastic/fresh:A"]![1]!, 0.75, 1e-12);
    assert.ok(Number.isNaN(got["plastic/fresh:B"]![0]!));
    close(got["plastic/fresh"]![0]!, 0.75, 1e-12, "mean over the envs that have a value");
    const resumed = plasticityFresh.create(plan);
    resumed.replay!(steps.slice(0, 6).flatMap((step, i) => Object.entries(values(i)).flatMap(([key, v]) => [...v].map((value, seed) => ({ step, seed, key, value })))));
    assert.deepEqual(resumed.measure({ step: 300, plan, values: values(6) }), last);
  });
});

describe("plasticity (per seed, live)", () => {
  it("dead units, effective rank and weight magnitude of a known representation and known parameters", () => {
    const plan = makePlan(tinySpec({ seeds: 1, envs: [{ name: "A" }], model: { hidden: [4] } }));
    // [8, 4] with singular values (3, 1, 0, 0) and one column zero: σ = diag(3, 1) in rows 0–1, cols 0–1; then rotate rows only
    const d = new Float64Array(8 * 4);
    [d[0], d[5]] = [3, 1];
    const h = Float32Array.from(matmul(randomOrthogonal(7, 8), d, 8, 8, 4)); // columns 2, 3 stay zero
    const ctx = {
      counterfactual: () => ({ probs: new Float32Array(0), hidden: [h], mechN: 8 }),
      params: () => [Float32Array.from([1, -1, 2, -2]), Float32Array.from([0, 0])],
    };
    const got = plasticity.create(plan, [0]).measure(ctx as any) as Record<string, Float64Array>;
    assert.deepEqual(Object.keys(got), ["plastic/dead:L1", "plastic/rank:L1", "plastic/weight"]);
    assert.equal(got["plastic/dead:L1"]![0], 0.5);
    close(got["plastic/rank:L1"]![0]!, 1.7547654, 1e-5, "exp(H(.75, .25))");
    close(got["plastic/weight"]![0]!, 1, 1e-12);
  });

  it("on a real tiny run every key exists at every checkpoint and is in range", async () => {
    const store = await tempStore();
    const spec = tinySpec({ seeds: 2, model: { hidden: [16], bottleneck: 4 }, schedule: { kind: "blocks", phaseSteps: 40 }, train: { steps: 160, evalEvery: 20 } });
    const r = await runExperiment(spec, { store, threads: 1 });
    const points = await store.metrics(r.runId);
    const at = (key: string) => points.filter((p) => p.key === key);
    for (const key of ["plastic/dead:L1", "plastic/dead:L2", "plastic/rank:L1", "plastic/rank:L2", "plastic/weight"]) {
      assert.equal(at(key).length, 2 * 9, `${key}: 2 seeds × 9 checkpoints`);
      for (const p of at(key)) assert.ok(p.value !== null && Number.isFinite(p.value) && p.value >= 0, `${key} ${p.value}`);
    }
    for (const p of at("plastic/dead:L1")) assert.ok(p.value! <= 1);
    for (const p of at("plastic/rank:L1")) assert.ok(p.value! <= 16);
    for (const p of at("plastic/dead:L2")) assert.equal(p.value, 0, "the linear bottleneck has no dead units");
    for (const p of at("plastic/rank:L2")) assert.ok(p.value! >= 1 && p.value! <= 4);
    const fresh = at("plastic/fresh:A").filter((p) => p.value !== null && Number.isFinite(p.value));
    assert.ok(fresh.length > 0 && fresh.every((p) => p.value! > 0), "A's third phase (steps 80–120) has ended by step 120");
    await store.close();
  });
});

describe("l2Init in the optimiser", () => {
  const c = (over: Partial<OptimConfig>): OptimConfig => ({ optimizer: "sgd", lr: 0.1, momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...over });
  it("SGD with l2Init λ is gradient descent on L + (λ/2)‖x − x₀‖²: by hand, three steps", () => {
    // g = 1 every step, x₀ = 1, lr 0.1, λ 1: x ← x − 0.1 − 0.1(x − 1) → 0.9, 0.81, 0.729 below x₀ + … (x − 1: −0.1, −0.19, −0.271)
    const cfg = c({ l2Init: 1 });
    let p = { w: np.array([1, 2]) }, s = initOptState(cfg, p);
    for (let t = 1; t <= 3; t++) [p, s] = update(cfg, p, { w: np.array([1, 1]) }, s, np.array(t));
    const got = Array.from(p.w.ref.dataSync() as Float32Array);
    close(got[0]!, 1 - 0.271, 1e-6);
    close(got[1]!, 2 - 0.271, 1e-6);
    assert.deepEqual(Array.from(s.init!.w.ref.dataSync() as Float32Array), [1, 2], "the initial weights stay in the state");
    tree.dispose([p, s] as any);
  });
  it("off by default: no state and the same update as before", () => {
    for (const optimizer of ["sgd", "momentum", "adam"] as const) {
      assert.equal(initOptState(c({ optimizer }), { w: np.array([1]) }).init, undefined);
      const [a] = update(c({ optimizer }), { w: np.array([1, 2]) }, { w: np.array([0.5, -1]) }, initOptState(c({ optimizer }), { w: np.array([1, 2]) }), np.array(1));
      const [b] = update(c({ optimizer, l2Init: 0 }), { w: np.array([1, 2]) }, { w: np.array([0.5, -1]) }, initOptState(c({ optimizer, l2Init: 0 }), { w: np.array([1, 2]) }), np.array(1));
      assert.deepEqual(a.w.dataSync(), b.w.dataSync());
    }
  });
  it("trains through the runner, and an interrupted run resumes to the numbers of an uninterrupted one (the initial weights are saved with the state)", async () => {
    const store = await tempStore();
    const spec = tinySpec({ seeds: 2, schedule: { kind: "blocks", phaseSteps: 20 }, train: { optimizer: "momentum", lr: 0.05, l2Init: 0.5, steps: 80, evalEvery: 20 } });
    const whole = await runExperiment(spec, { store, threads: 1 });
    const ac = new AbortController();
    const cut = await runExperiment(spec, { store, threads: 1, signal: ac.signal, onProgress: (s) => { if (s >= 30) ac.abort(); } });
    assert.equal(cut.status, "interrupted");
    assert.equal((await resumeRun(cut.runId, { store, threads: 1 })).status, "completed");
    const strip = (ps: { step: number; seed: number; key: string; value: number | null }[]) => ps.map(({ step, seed, key, value }) => [step, seed, key, value]);
    const all = strip(await store.metrics(whole.runId));
    assert.ok(all.some(([, , k]) => k === "plastic/weight") && all.some(([, , k]) => k === "plastic/fresh:A"));
    assert.deepEqual(strip(await store.metrics(cut.runId)), all);
    await store.close();
  });
});
