// The variants of each perturbation dimension: what changes, by how much, and nothing else.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseDimensions, planDimension, studyBase, withNovel } from "../../src/stability/perturb.ts";
import { specHash } from "../../src/train/plan.ts";
import { tinySpec } from "./_fixtures.ts";

const base = withNovel(tinySpec()).spec;
const only = (a: object, b: object) => {
  // the fields in which two specs differ, by dotted path
  const diff: string[] = [];
  const walk = (x: any, y: any, path: string) => {
    if (x && typeof x === "object" && !Array.isArray(x)) for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk(x[k], y?.[k], path ? `${path}.${k}` : k);
    else if (JSON.stringify(x) !== JSON.stringify(y)) diff.push(path);
  };
  walk(a, b, "");
  return diff.filter((p) => p !== "name");
};

describe("planDimension", () => {
  it("lr: the base and lr × (1 ± scale), nothing else changed", () => {
    const p = planDimension(base, "lr", { scale: 0.2 });
    assert.deepEqual(p.variants.map((v) => v.label), ["base", "lr×0.8", "lr×1.2"]);
    assert.deepEqual(p.variants.map((v) => v.spec.train.lr), [0.01, 0.008, 0.012]);
    for (const v of p.variants.slice(1)) assert.deepEqual(only(base, v.spec), ["train.lr"]);
    assert.equal(specHash(p.variants[0]!.spec), specHash(base), "the base variant is the base run");
  });

  it("momentum: perturbs the horizon, β' = 1 − (1 − β)(1 ± scale), clamped below 1", () => {
    const p = planDimension(base, "momentum", { scale: 0.5 });
    assert.deepEqual(p.variants.map((v) => v.spec.train.momentum), [0.9, 0.85, 0.95]);
    for (const v of p.variants.slice(1)) assert.deepEqual(only(base, v.spec), ["train.momentum"]);
    const sgd = planDimension(withNovel(tinySpec({}, { optimizer: "sgd" })).spec, "momentum");
    assert.equal(sgd.variants.length, 0);
    assert.match(sgd.note!, /optimizer sgd has no momentum/);
  });

  it("seed: other base seeds; data: a fixed pool against each seed's bootstrap resample of it", () => {
    const s = planDimension(base, "seed", { seedVariants: 3 });
    assert.deepEqual(s.variants.map((v) => v.spec.seed), [0, 1, 2, 3]);
    const d = planDimension(base, "data");
    assert.deepEqual(d.variants.map((v) => [v.label, v.spec.train.dataset, v.spec.train.bootstrap]), [["pool", 128, false], ["bootstrap", 128, true]]);
    assert.match(d.note!, /fresh data every step/);
    const pooled = withNovel(tinySpec({}, { dataset: 50 })).spec;
    const dp = planDimension(pooled, "data");
    assert.deepEqual(dp.variants.map((v) => v.label), ["base", "bootstrap"], "a finite pool without bootstrap is the base itself");
    assert.equal(dp.note, undefined);
  });

  it("scale 0 gives variants identical to the base except in name", () => {
    for (const dim of ["lr", "momentum"] as const)
      for (const v of planDimension(base, dim, { scale: 0 }).variants) assert.deepEqual(only(base, v.spec), []);
  });

  it("rejects a scale outside [0, 1)", () => {
    assert.throws(() => planDimension(base, "lr", { scale: 1 }), /--scale: expected a number in \[0, 1\), got 1$/);
  });
});

describe("withNovel and parseDimensions", () => {
  it("adds a fresh and a blended novel environment only when the spec has none", () => {
    const r = withNovel(tinySpec());
    assert.deepEqual(r.added, ["novel-fresh", "novel-blend"]);
    assert.deepEqual(r.spec.novel.map((n) => n.kind), ["fresh", "blend"]);
    const mine = tinySpec({ novel: [{ kind: "fresh", name: "mine" }] });
    assert.deepEqual(withNovel(mine).added, []);
    assert.equal(withNovel(mine).spec, mine);
  });

  it("studyBase also turns the weighted-sum baselines off", () => {
    const r = studyBase(tinySpec({ baselines: true }));
    assert.equal(r.spec.baselines, false);
    assert.equal(r.spec.novel.length, 2);
  });

  it("parses dimensions and names the nearest for a typo", () => {
    assert.deepEqual(parseDimensions("seed, lr,lr"), ["seed", "lr"]);
    assert.throws(() => parseDimensions("seed,momentun"), /unknown dimension: momentun \(did you mean momentum\?\)/);
  });
});
