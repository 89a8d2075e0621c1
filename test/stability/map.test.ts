// The structural stability map on real training: divergence rises with the learning rate, and
// the picture is deterministic.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { toSvg } from "../../src/plots/render.ts";
import { logspace, momentumAxis, stabilityMap, type StabilityMap } from "../../src/stability/map.ts";
import { stabilityMapSpec } from "../../src/stability/mapPlot.ts";
import { openStore } from "../../src/store/index.ts";
import { tinySpec } from "./_fixtures.ts";

let map: StabilityMap;

before(async () => {
  const store = await openStore(":memory:");
  // plain SGD on the map becomes momentum SGD; lr 100 blows every seed up, lr 0.1 none
  const spec = tinySpec({ seeds: 4 }, { optimizer: "sgd", lr: 0.1, steps: 100 });
  map = await stabilityMap(spec, { store, threads: 1, lrs: [0.1, 10, 100], momenta: [0, 0.9] });
});

describe("stabilityMap", () => {
  it("divergence fraction rises with the learning rate at every momentum", () => {
    for (const m of map.momenta) {
      const row = map.lrs.map((lr) => map.cells.find((c) => c.lr === lr && c.momentum === m)!.diverged);
      row.forEach((d, i) => i > 0 && assert.ok(d >= row[i - 1]!, `momentum ${m}: ${row}`));
      assert.equal(row[0], 0, `momentum ${m}: ${row}`);
      assert.equal(row.at(-1), 1, `momentum ${m}: ${row}`);
    }
  });

  it("reports loss, accuracy and spread where seeds survive, NaN where all diverged", () => {
    const ok = map.cells.find((c) => c.lr === 0.1 && c.momentum === 0)!;
    assert.ok(ok.loss > 0 && ok.loss < 2 && ok.accIn > 0.4 && ok.spread > 0, JSON.stringify(ok));
    const dead = map.cells.find((c) => c.lr === 100)!;
    assert.ok(Number.isNaN(dead.loss) && Number.isNaN(dead.spread));
    assert.equal(map.optimizer, "momentum");
    assert.match(map.notes[0]!, /mapped momentum SGD instead/);
    assert.equal(map.cells.length, 6);
  });

  it("draws the same picture twice, with a panel per quantity", async () => {
    const a = await toSvg(stabilityMapSpec(map)), b = await toSvg(stabilityMapSpec(map));
    assert.equal(a, b);
    for (const t of ["final loss", "fraction of seeds diverged", "spread across seeds", "diverged"]) assert.ok(a.includes(t), t);
  });
});

describe("map axes", () => {
  it("spaces learning rates geometrically and momenta evenly in log(1 − β)", () => {
    assert.deepEqual(logspace(0.001, 1, 4), [0.001, 0.01, 0.1, 1]);
    assert.deepEqual(momentumAxis(0, 0.99, 3), [0, 0.9, 0.99]);
    assert.throws(() => momentumAxis(0, 1, 3), /momentum range: expected 0 ≤ lo ≤ hi < 1, got 0:1$/);
  });
});
