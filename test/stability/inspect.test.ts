// The dynamics library on stored runs: disagreement search, landscape and LLC of real ecotone
// models, checked for properties that must hold whatever the numbers are.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { disagreeRuns } from "../../src/stability/disagree.ts";
import { landscapeOfRun } from "../../src/stability/landscape.ts";
import { llcAlongTraining, llcOfRun } from "../../src/stability/llc.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { runExperiment } from "../../src/train/run.ts";
import { tinySpec } from "./_fixtures.ts";

let store: Store;
let a: string, b: string;
const FAST_LLC = { perEnv: 64, chains: 2, draws: 40, burnIn: 20 };

before(async () => {
  store = await openStore(":memory:");
  a = (await runExperiment(tinySpec({ novel: [{ kind: "fresh" }] }), { store, threads: 1 })).runId;
  b = (await runExperiment(tinySpec({ seed: 7, novel: [{ kind: "fresh" }] }), { store, threads: 1 })).runId;
});

describe("disagreeRuns", () => {
  it("finds an input, inside the probes' box, where the models disagree at least as much as on any random input", async () => {
    const r = await disagreeRuns(store, a, b, { seedA: 0, seedB: 1, steps: 60, samples: 1024 });
    assert.ok(r.kl >= r.randomMaxKl, `search ${r.kl} < random ${r.randomMaxKl}`);
    assert.ok(r.gain >= 1);
    assert.equal(r.dim, 16);
    const x = [...r.x.content, ...r.x.cue];
    assert.equal(r.x.content.length, 12);
    x.forEach((v, i) => assert.ok(v >= r.box[i]![0] && v <= r.box[i]![1], `x[${i}] outside the box`));
    assert.ok(r.probes.kl > 0 && r.probes.agreement < 1);
    assert.ok(Math.abs(r.answers.pA.reduce((s, p) => s + p, 0) - 1) < 1e-5);
    assert.equal(r.history.length, 11);
  });

  it("finds no disagreement between a model and itself", async () => {
    const r = await disagreeRuns(store, a, a, { seedA: 2, steps: 10, samples: 64 });
    assert.ok(Math.abs(r.kl) < 1e-5 && r.probes.agreement === 1, `${r.kl}`);
  });

  it("refuses a seed outside the ensemble", async () => {
    await assert.rejects(disagreeRuns(store, a, b, { seedA: 5 }), /seed must be one of 0, 1, 2, got 5$/);
  });
});

describe("landscapeOfRun", () => {
  it("measures one member on its training probes, consistently across the tools", async () => {
    const r = await landscapeOfRun(store, a, { seed: 1, iters: 30, samples: 8, steps: 11, draws: 2 });
    assert.equal(r.n, 64);
    assert.equal(r.params, 16 * 16 + 16 + 16 * 4 + 4);
    // the slice, the noise curve and the dropout curve all start from the same point
    assert.ok(Math.abs(r.slice.losses[5]! - r.loss) < 1e-5, "slice at α = 0 is the loss");
    assert.equal(r.weightNoise.loss[0], r.loss);
    assert.equal(r.dropout.acc[0], r.acc);
    assert.ok(r.sharpness.eigenvalue > 0, "a trained model sits where the top curvature is positive");
    assert.ok(r.slice.losses[0]! > r.loss && r.slice.losses[10]! > r.loss, "a trained model sits in a valley of its slice");
    assert.ok(r.weightNoise.acc.at(-1)! <= r.acc + 0.05);
  });
});

describe("llcOfRun and llcAlongTraining", () => {
  it("estimates the LLC of a stored member, with diagnostics and the hyperparameters used", async () => {
    const r = await llcOfRun(store, a, { seed: 0, ...FAST_LLC });
    assert.equal(r.n, 128);
    assert.equal(r.source, "fresh");
    assert.equal(r.chains.length, 2);
    assert.equal(r.chains[0]!.lossTrace.length, 40);
    assert.ok(Number.isFinite(r.llc) && r.llc < r.params / 2, `λ̂ = ${r.llc} should be below the regular ${r.params / 2}`);
    assert.equal(r.options.beta, 1 / Math.log(128));
    assert.ok(r.fractionBelowInit >= 0 && r.fractionBelowInit <= 1);
  });

  it("tracks the LLC at every checkpoint and flags change points by step", () => {
    const r = llcAlongTraining(tinySpec(), { seed: 1, ...FAST_LLC });
    assert.deepEqual(r.steps, [0, 50, 100, 150]);
    assert.equal(r.llc.length, 4);
    assert.equal(r.accuracy.A!.length, 4);
    for (const s of r.changePoints) assert.ok(r.steps.includes(s));
    assert.equal(r.segments[0]!.from, 0);
    assert.equal(r.segments.at(-1)!.to, 150);
  });
});
