// Properties of the perturbation study on real training: different seeds land apart, a zero-size
// change of the trainer lands exactly on the same models, and the report ranks what it measured.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { stabilityReport, type StabilityReport } from "../../src/stability/report.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { tinySpec } from "./_fixtures.ts";

let store: Store;
let full: StabilityReport;
const dim = (r: StabilityReport, d: string) => r.dimensions.find((x) => x.dimension === d)!;

before(async () => {
  store = await openStore(":memory:");
  full = await stabilityReport(tinySpec(), { store, threads: 1 });
});

describe("stabilityReport", () => {
  it("reports every dimension, with novel environments added to see behaviour off distribution", () => {
    assert.deepEqual(full.dimensions.map((d) => d.dimension), ["seed", "data", "lr", "momentum"]);
    assert.deepEqual(full.envs, { trained: ["A", "B"], novel: ["novel-fresh", "novel-blend"], addedNovel: ["novel-fresh", "novel-blend"] });
    assert.deepEqual(dim(full, "seed").variants.map((v) => v.label), ["base", "seed=1", "seed=2"]);
    assert.equal(dim(full, "seed").pairs, 3 * 3, "3 variant pairs × 3 members");
    assert.equal(dim(full, "data").pairs, 3);
  });

  it("different seeds land apart: positive spread in and off distribution", () => {
    const s = dim(full, "seed").distance!;
    assert.ok(s.jsIn > 0.005 && s.jsOff > 0.005, `JS in ${s.jsIn}, off ${s.jsOff}`);
    assert.ok(s.agreeIn < 1);
    assert.ok(full.base.seedSpread.jsIn > 0);
  });

  it("ranks the dimensions by spread, largest first, and a new seed moves more than a 20% lr change", () => {
    const js = full.ranking.map((r) => r.js);
    assert.deepEqual([...js].sort((a, b) => b - a), js);
    assert.equal(full.ranking.length, 4);
    assert.ok(dim(full, "seed").js > dim(full, "lr").js, `seed ${dim(full, "seed").js} vs lr ${dim(full, "lr").js}`);
  });

  it("reports dispersion of key metrics across variants, and class agreement as a fraction of pairs", () => {
    const m = dim(full, "lr").metrics["perf/acc:A"]!;
    assert.equal(m.values.length, 3);
    assert.ok(m.sd >= 0 && m.range >= 0 && m.seedSd >= 0);
    for (const d of full.dimensions) assert.ok(d.classAgreement >= 0 && d.classAgreement <= 1);
    const p = dim(full, "seed").pathDependence!;
    assert.equal(p.disagreeOff, 1 - dim(full, "seed").distance!.agreeOff);
  });

  it("scale 0 (lr × 1.0, the same momentum) on the same seeds gives exactly zero spread, reusing the base run", async () => {
    const r = await stabilityReport(tinySpec(), { store, threads: 1, scale: 0, perturb: ["lr", "momentum"] });
    for (const d of ["lr", "momentum"]) {
      const s = dim(r, d).distance!;
      assert.deepEqual([s.jsIn, s.jsOff, s.klIn, s.accGapIn, s.agreeIn, s.agreeOff], [0, 0, 0, 0, 1, 1], d);
      assert.equal(dim(r, d).classAgreement, 1);
      assert.equal(dim(r, d).variants[0]!.reused, true, "the base run comes from the store");
      assert.equal(dim(r, d).variants[0]!.runId, full.base.runId);
    }
  });

  it("skips momentum under plain SGD, saying why", async () => {
    const r = await stabilityReport(tinySpec({}, { optimizer: "sgd", lr: 0.1 }), { store, threads: 1, perturb: ["momentum"] });
    assert.equal(dim(r, "momentum").distance, null);
    assert.match(dim(r, "momentum").note!, /sgd has no momentum/);
    assert.deepEqual(r.ranking, []);
  });
});
