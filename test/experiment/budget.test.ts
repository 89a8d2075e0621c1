// Sizes that pass the schema but not the machine are refused before anything runs, naming the
// field and the limit; --allow-large lifts the soft limits, never the engine's hard one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { budgetDefaults, checkBudget, estimate } from "../../src/experiment/budget.ts";
import { parseSpec } from "../../src/experiment/load.ts";
import { expandSweep } from "../../src/sweep/spec.ts";
import { EcotoneError } from "../../src/util/errors.ts";

const refused = (re: RegExp) => (e: unknown) => e instanceof EcotoneError && e.code === "E_SPEC" && re.test(e.message);

describe("resource budget", () => {
  it("passes the README's examples' sizes", () => {
    const e = checkBudget(parseSpec({ seeds: 16, model: { hidden: [128, 128] }, train: { steps: 1200 } }));
    assert.ok(e.params > 20_000 && e.params < 30_000, `${e.params} parameters`);
  });

  it("refuses 10^12 steps, naming train.steps and the limit, unless allowed", () => {
    const spec = parseSpec({ seeds: 2, train: { steps: 1e12, evalEvery: 1e11 } });
    assert.throws(() => checkBudget(spec), refused(/train\.steps: 1,000,000,000,000 steps is more than the limit of 10,000,000; pass --allow-large/));
    assert.doesNotThrow(() => checkBudget(spec, { allowLarge: true }));
  });

  it("refuses 8 layers of 4096 units × 4096 seeds as too large for a worker thread, even when allowed", () => {
    const spec = parseSpec({ seeds: 4096, model: { hidden: Array(8).fill(4096) } });
    assert.ok(estimate(spec).shardBytes > budgetDefaults.shardBytes);
    assert.throws(() => checkBudget(spec, { allowLarge: true }), refused(/too large for one worker thread: .* GiB of tensors per thread .* the limit is 3\.0 GiB/));
  });

  it("refuses a run that would store too many values, naming train.evalEvery", () => {
    const spec = parseSpec({ seeds: 4096, model: { hidden: [8] }, train: { steps: 100_000, evalEvery: 1, probes: 8 } });
    assert.throws(() => checkBudget(spec), refused(/train\.evalEvery/));
  });

  it("refuses a sweep grid of 64 million cells before expanding it", () => {
    const values = Array.from({ length: 20 }, (_, i) => i);
    const t0 = performance.now();
    assert.throws(() => expandSweep({ base: { seeds: 2 }, grid: { seed: values, "world.seed": values, "train.batch": values.map((v) => v + 1), "train.probes": values.map((v) => v + 8), "metrics.window": values, "train.evalEvery": values.map((v) => v + 1) } }),
      refused(/64,000,000 cells \(seed: 20 × world\.seed: 20 × .*\), more than the limit of 10,000; pass --allow-large/));
    assert.ok(performance.now() - t0 < 2000, "refused at once");
  });
});

describe("semantic validation", () => {
  it("refuses a novel environment named like a trained one", () => {
    assert.throws(() => parseSpec({ novel: [{ kind: "fresh", name: "A" }] }), refused(/novel: environment name "A" is used twice/));
  });
  it("refuses an empty or unusable novel name", () => {
    assert.throws(() => parseSpec({ novel: [{ kind: "fresh", name: "" }] }), refused(/novel\.0\.name/));
    assert.throws(() => parseSpec({ novel: [{ kind: "fresh", name: "a b" }] }), refused(/novel\.0\.name/));
  });
  it("refuses two novel environments with one name", () => {
    assert.throws(() => parseSpec({ novel: [{ kind: "fresh", name: "N" }, { kind: "fresh", name: "N" }] }), refused(/"N" is used twice/));
  });
  it("refuses an unknown metric in metrics.skip, naming the nearest", () => {
    assert.throws(() => parseSpec({ metrics: { skip: ["representaton"] } }), refused(/unknown metric: representaton \(did you mean "representation"\?\)/));
  });
});
