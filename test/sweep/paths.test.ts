import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSpec } from "../../src/experiment/load.ts";
import { experimentSchema } from "../../src/experiment/schema.ts";
import { canonicalJson, checkPath, deepMerge, setPath } from "../../src/sweep/paths.ts";
import { tinyBase } from "./_fixtures.ts";

const filled = () => parseSpec(tinyBase()) as unknown as Record<string, unknown>;
const check = (path: string) => checkPath(experimentSchema(filled()), filled(), path, "grid");

describe("dotted paths", () => {
  for (const path of ["world.distinguishability", "envs.1.objective", "envs.0.objective.kind", "schedule", "model.hidden.0", "train", "seeds"])
    it(`accepts ${path}`, () => assert.doesNotThrow(() => check(path)));

  it("accepts an optional key the base leaves unset", () => {
    const spec = parseSpec({ ...tinyBase(), novel: [{ kind: "fresh" }] }) as unknown as Record<string, unknown>;
    assert.doesNotThrow(() => checkPath(experimentSchema(spec), spec, "novel.0.name", "grid"));
  });

  const bad: [string, RegExp][] = [
    ["world.distinguishibility", /grid: unknown path world\.distinguishibility \(did you mean world\.distinguishability\?\)$/],
    ["modle.bottleneck", /unknown path modle\.bottleneck \(did you mean model\?\)$/],
    ["envs.2.objective", /envs is a list of 2, so 2 is not an index \(expected 0\.\.1\)/],
    ["envs.x", /so x is not an index/],
    ["novel.0.kind", /novel is an empty list: set novel as a whole/],
    ["world.content.dims", /world\.content is 12, not an object or a list/],
    ["schedule.phaseStep", /unknown path schedule\.phaseStep \(did you mean schedule\.phaseSteps\?\)/],
    ["world..cue", /not a dotted path/],
  ];
  for (const [path, message] of bad) it(`rejects ${path}, naming the nearest valid path`, () => assert.throws(() => check(path), message));

  it("sets array elements and whole objects without sharing the value", () => {
    const spec = filled();
    const schedule = { kind: "markov", switchProb: 0.1 };
    setPath(spec, "envs.1.objective", { kind: "reward" });
    setPath(spec, "schedule", schedule);
    setPath(spec, "model.hidden.0", 8);
    schedule.switchProb = 0.9;
    assert.deepEqual((spec.envs as any)[1].objective, { kind: "reward" });
    assert.deepEqual(spec.schedule, { kind: "markov", switchProb: 0.1 });
    assert.deepEqual((spec.model as any).hidden, [8]);
  });

  it("canonical JSON sorts keys at every level, so equal params give equal keys", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: "s" } }), '{"a":{"c":"s","d":[1,{"x":1,"y":2}]},"b":1}');
    assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  });

  it("deep-merges objects and replaces arrays", () => {
    assert.deepEqual(deepMerge({ train: { steps: 10, lr: 1 }, model: { hidden: [8, 8] } }, { train: { steps: 5 }, model: { hidden: [4] } }),
      { train: { steps: 5, lr: 1 }, model: { hidden: [4] } });
  });
});
