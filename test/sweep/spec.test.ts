import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { expandSweep, loadSweep } from "../../src/sweep/spec.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { tempDir, tinyBase, tinyBaseYaml } from "./_fixtures.ts";

const specErr = (message: RegExp) => (e: unknown) => e instanceof EcotoneError && e.code === "E_SPEC" && message.test(e.message);

describe("sweep expansion", () => {
  it("grid × zip: the cartesian product of the grid, times the zipped lists advanced together", () => {
    const s = expandSweep({
      name: "pd", base: tinyBase(),
      grid: { "world.distinguishability": [0, 0.5, 1], "model.bottleneck": [0, 4] },
      zip: { "schedule.phaseSteps": [10, 30], "train.evalEvery": [10, 30] },
      seeds: 3,
    });
    assert.equal(s.cells.length, 3 * 2 * 2);
    assert.deepEqual(s.grid, ["world.distinguishability", "model.bottleneck"]);
    assert.deepEqual(s.zip, ["schedule.phaseSteps", "train.evalEvery"]);
    // first grid path outermost, zip innermost; zipped values stay paired
    assert.deepEqual(s.cells.slice(0, 3).map((c) => c.params), [
      { "world.distinguishability": 0, "model.bottleneck": 0, "schedule.phaseSteps": 10, "train.evalEvery": 10 },
      { "world.distinguishability": 0, "model.bottleneck": 0, "schedule.phaseSteps": 30, "train.evalEvery": 30 },
      { "world.distinguishability": 0, "model.bottleneck": 4, "schedule.phaseSteps": 10, "train.evalEvery": 10 },
    ]);
    for (const c of s.cells) {
      assert.equal(c.spec.seeds, 3, "seeds overrides the base in every cell");
      assert.equal(c.spec.name, "pd");
      assert.equal(c.spec.world.distinguishability, c.params["world.distinguishability"]);
      assert.equal(c.spec.model.bottleneck, c.params["model.bottleneck"]);
      assert.equal(c.spec.train.evalEvery, c.params["train.evalEvery"]);
      assert.equal(c.spec.schedule.kind === "blocks" && c.spec.schedule.phaseSteps, c.params["schedule.phaseSteps"]);
    }
    assert.equal(new Set(s.cells.map((c) => c.key)).size, s.cells.length);
  });

  it("sets whole objects and array elements by dotted path", () => {
    const s = expandSweep({
      base: tinyBase(),
      grid: { schedule: [{ kind: "mixture" }, { kind: "blocks", phaseSteps: 50 }], "envs.1.objective": ["sft", { kind: "reward" }] },
    });
    assert.equal(s.cells.length, 4);
    const [mixSft, , blocksSft, blocksReward] = s.cells;
    assert.equal(mixSft!.spec.schedule.kind, "mixture");
    assert.deepEqual(blocksSft!.spec.schedule, { kind: "blocks", phaseSteps: 50 });
    assert.equal(blocksSft!.spec.envs[1]!.objective.kind, "sft");
    assert.equal(blocksReward!.spec.envs[1]!.objective.kind, "reward");
    assert.equal(blocksReward!.spec.envs[0]!.objective.kind, "sft", "other elements untouched");
  });

  it("no grid and no zip is one cell: the base", () => {
    const s = expandSweep({ base: tinyBase() });
    assert.equal(s.cells.length, 1);
    assert.equal(s.cells[0]!.key, "{}");
  });

  it("cell keys and the sweep id are stable: same spec, same ids, whatever the key order", () => {
    const a = expandSweep({ name: "x", base: tinyBase(), grid: { "world.distinguishability": [0, 1], "model.bottleneck": [0, 4] } });
    const b = expandSweep({ grid: { "world.distinguishability": [0, 1], "model.bottleneck": [0, 4] }, base: { ...tinyBase(), name: undefined }, name: "x" });
    assert.deepEqual(a.cells.map((c) => c.key), b.cells.map((c) => c.key));
    assert.equal(a.cells[1]!.key, '{"model.bottleneck":4,"world.distinguishability":0}');
    assert.equal(a.id, b.id);
    assert.match(a.id, /^s[0-9a-f]{11}$/);
    const other = expandSweep({ name: "x", base: tinyBase(), grid: { "world.distinguishability": [0, 1], "model.bottleneck": [0, 8] } });
    assert.notEqual(other.id, a.id);
    assert.equal(other.cells[0]!.key, a.cells[0]!.key, "a cell's key depends on its params only");
  });

  it("--quick applies quick: base merged, grid and zip lists replaced, seeds", () => {
    const input = {
      name: "q", base: tinyBase(400),
      grid: { "world.distinguishability": [0, 0.5, 1], "model.bottleneck": [0, 4] },
      zip: { "schedule.phaseSteps": [10, 30, 100] },
      seeds: 8,
      quick: { base: { train: { steps: 60 } }, grid: { "world.distinguishability": [0, 1] }, zip: { "schedule.phaseSteps": [10, 30] }, seeds: 2 },
    };
    const full = expandSweep(input), quick = expandSweep(input, { quick: true });
    assert.equal(full.cells.length, 18);
    assert.equal(quick.cells.length, 8);
    assert.notEqual(quick.id, full.id);
    for (const c of quick.cells) {
      assert.equal(c.spec.train.steps, 60);
      assert.equal(c.spec.train.evalEvery, 20, "merged, not replaced");
      assert.equal(c.spec.seeds, 2);
    }
    assert.throws(() => expandSweep({ ...input, quick: { grid: { "world.distinguishabilty": [0] } } }, { quick: true }),
      specErr(/quick\.grid: world\.distinguishabilty is not a path of the sweep \(did you mean world\.distinguishability\?\)/));
    assert.throws(() => expandSweep({ base: tinyBase() }, { quick: true }), specErr(/--quick needs a quick: section/));
  });

  it("reads base from a file next to the sweep spec, and names the sweep after its file", async () => {
    const dir = tempDir("spec");
    writeFileSync(join(dir, "exp.yaml"), `name: exp\n${tinyBaseYaml().replace(/^ {2}/gm, "")}\n`);
    writeFileSync(join(dir, "pd.yaml"), "base: exp.yaml\ngrid:\n  world.similarity: [0, 1]\n");
    const s = await loadSweep(join(dir, "pd.yaml"));
    assert.equal(s.name, "pd");
    assert.equal(s.cells.length, 2);
    assert.equal(s.cells[0]!.spec.name, "exp");
    assert.equal(s.cells[1]!.spec.world.similarity, 1);
    assert.equal(s.cells[1]!.spec.world.content, 12);
    writeFileSync(join(dir, "bad.yaml"), "base: nope.yaml\n");
    await assert.rejects(loadSweep(join(dir, "bad.yaml")), specErr(/cannot read base spec file: .*nope\.yaml/));
  });

  const errors: [string, unknown, RegExp][] = [
    ["an unknown top-level key, with the nearest one", { base: tinyBase(), gird: {} }, /unknown key "gird" at \(top level\) \(did you mean "grid"\?\)/],
    ["an unknown key in quick", { base: tinyBase(), quick: { seed: 2 } }, /unknown key "seed" at quick \(did you mean "seeds"\?\)/],
    ["a misspelt grid path, with the nearest valid path", { base: tinyBase(), grid: { "world.distinguishibility": [0] } }, /grid: unknown path world\.distinguishibility \(did you mean world\.distinguishability\?\)/],
    ["a zip path into a list out of range", { base: tinyBase(), zip: { "envs.2.objective": ["sft"] } }, /zip: unknown path envs\.2\.objective: envs is a list of 2/],
    ["zipped lists of different lengths", { base: tinyBase(), zip: { "schedule.phaseSteps": [10, 20], "train.evalEvery": [5] } }, /zip: lists must have one length, got schedule\.phaseSteps: 2, train\.evalEvery: 1/],
    ["a path in both grid and zip", { base: tinyBase(), grid: { seeds: [1] }, zip: { seeds: [2] } }, /seeds is in both grid and zip/],
    ["an empty list", { base: tinyBase(), grid: { seeds: [] } }, /grid\.seeds: expected at least one value/],
    ["a repeated value", { base: tinyBase(), grid: { seeds: [2, 2] } }, /cells 0 and 1 have the same parameters \{"seeds":2\}/],
    ["a value the experiment schema refuses, naming the cell", { base: tinyBase(), grid: { "world.distinguishability": [0, 2] } }, /cell \{"world\.distinguishability":2\}: invalid spec\n\s+world\.distinguishability: Too big/],
    ["an object value with a misspelt key", { base: tinyBase(), grid: { schedule: [{ kind: "blocks", phaseStep: 5 }] } }, /unknown key "phaseStep" at schedule \(did you mean "phaseSteps"\?\)/],
    ["a cross-field error in a cell", { base: tinyBase(), grid: { "world.classes": [2] } }, /cell \{"world\.classes":2\}: need more classes than environments/],
    ["an invalid base", { base: { ...tinyBase(), seeds: 0 } }, /base: invalid spec\n\s+seeds:/],
  ];
  for (const [what, input, message] of errors)
    it(`rejects ${what}`, () => assert.throws(() => expandSweep(input, { source: "pd.yaml" }), specErr(message)));
});
