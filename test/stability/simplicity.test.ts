// Simplicity bias as a property of training: where a simple and a complex feature both predict
// the label, models rely on the simple one, although the complex one alone is learnable.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimplicityTask, simplicityBias, simplicityDefaults } from "../../src/stability/simplicity.ts";
import { Rng } from "../../src/util/rng.ts";

describe("SimplicityTask", () => {
  for (const complex of ["parity", "relu"] as const)
    it(`makes both features fully predictive, and randomising one leaves the other intact (${complex})`, () => {
      const task = new SimplicityTask({ ...simplicityDefaults, complex, bits: 3 });
      const check = (randomise: "none" | "simple" | "complex") => {
        const { x, y } = task.sample(500, new Rng(1), randomise);
        let simple = 0, cx = 0;
        for (let i = 0; i < 500; i++) {
          simple += +(+(x[i * task.dim]! > 0) === y[i]);
          cx += +(task.complexLabel(x.subarray(i * task.dim + 1, i * task.dim + 4)) === y[i]);
        }
        return [simple / 500, cx / 500];
      };
      assert.deepEqual(check("none"), [1, 1]);
      const [s1, c1] = check("simple");
      assert.ok(Math.abs(s1! - 0.5) < 0.08 && c1 === 1, `${s1} ${c1}`);
      const [s2, c2] = check("complex");
      assert.ok(s2 === 1 && Math.abs(c2! - 0.5) < 0.08, `${s2} ${c2}`);
      const labels = task.sample(1000, new Rng(2), "none").y.reduce((a, b) => a + b, 0);
      assert.ok(labels > 400 && labels < 600, `balanced labels: ${labels}/1000`);
    });
});

describe("simplicityBias", () => {
  it("every model relies on the simple feature, though the complex one alone is learnable", async (t) => {
    const r = await simplicityBias({ seeds: 3, steps: 200, test: 512 });
    t.diagnostic(`clean ${r.mean.clean}, simple randomised ${r.mean.simpleRandomised}, complex randomised ${r.mean.complexRandomised}, control ${r.control!.mean}`);
    assert.ok(r.mean.clean > 0.97);
    r.accuracy.simpleRandomised.forEach((a) => assert.ok(a < 0.65, `simple randomised: ${a}`));
    r.accuracy.complexRandomised.forEach((a) => assert.ok(a > 0.95, `complex randomised: ${a}`));
    assert.deepEqual(r.verdict, ["simple", "simple", "simple"]);
    assert.ok(r.reliance.simple > 0.3 && r.reliance.complex < 0.05);
    assert.ok(r.control!.mean > 0.85, `complex feature alone: ${r.control!.mean}`);
  });
});
