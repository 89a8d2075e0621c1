import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cueDecodability, labelAgreement, makeProbes } from "../../src/envs/probes.ts";
import { familySchema, TeacherWorld } from "../../src/envs/teacher.ts";

const family = (o: Partial<ReturnType<typeof familySchema.parse>> = {}) => familySchema.parse(o);
const names = (n: number) => ["A", "B", "C", "D", "E", "F", "G", "H"].slice(0, n);

describe("makeProbes", () => {
  const world = new TeacherWorld(family({ distinguishability: 0.6, similarity: 0.2 }), names(3), [{ kind: "fresh" }]);
  const n = 64;
  const probes = makeProbes(world, n);
  const { content, cue } = world.family;
  const D = world.inputDim, T = world.trained;

  it("has one probe block per env (trained and novel) and counterfactuals for trained envs", () => {
    assert.equal(probes.envs, 4);
    assert.equal(probes.n, n);
    assert.equal(probes.x.length, 4 * n * D);
    assert.equal(probes.labels.length, 4 * n);
    assert.equal(probes.cf.length, T * n * D);
    assert.equal(probes.cfLabels.length, T * n);
  });

  it("labels every probe with its env's clean teacher label, in range", () => {
    for (let e = 0; e < probes.envs; e++)
      for (let i = 0; i < n; i++) {
        const l = probes.labels[e * n + i]!;
        assert.equal(l, world.label(e, probes.x, (e * n + i) * D));
        assert.ok(l >= 0 && l < world.family.classes);
      }
  });

  it("is the same for the same family seed and differs for another", () => {
    const again = makeProbes(new TeacherWorld(family({ distinguishability: 0.6, similarity: 0.2 }), names(3), [{ kind: "fresh" }]), n);
    assert.deepEqual(again, probes);
    const other = makeProbes(new TeacherWorld(family({ distinguishability: 0.6, similarity: 0.2, seed: 1 }), names(3), [{ kind: "fresh" }]), n);
    assert.notDeepEqual(other.x, probes.x);
    assert.notDeepEqual(other.cf, probes.cf);
    assert.notDeepEqual(other.labels, probes.labels);
  });

  it("shows every counterfactual variant the same content: env 0's probe content", () => {
    for (let e = 0; e < T; e++)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < content; j++) assert.equal(probes.cf[(e * n + i) * D + j], probes.x[i * D + j]);
  });

  it("varies only the cue between variants, with one shared noise draw per probe", () => {
    const scale = world.family.distinguishability * Math.sqrt(cue);
    for (let i = 0; i < n; i++) {
      const residual = (e: number) =>
        Array.from({ length: cue }, (_, j) => probes.cf[(e * n + i) * D + content + j]! - scale * world.envs[e]!.prototype[j]!);
      const r0 = residual(0);
      for (let e = 1; e < T; e++) {
        const cueE = probes.cf.subarray((e * n + i) * D + content, (e * n + i + 1) * D);
        const cue0 = probes.cf.subarray(i * D + content, (i + 1) * D);
        assert.notDeepEqual(cueE, cue0); // the cue differs...
        residual(e).forEach((v, j) => assert.ok(Math.abs(v - r0[j]!) < 1e-5, `probe ${i} env ${e} dim ${j}`)); // ...by the prototype only
      }
    }
  });

  it("labels counterfactuals under each variant's env rule", () => {
    for (let e = 0; e < T; e++)
      for (let i = 0; i < n; i++) assert.equal(probes.cfLabels[e * n + i], world.label(e, probes.cf, (e * n + i) * D));
    assert.deepEqual(probes.cfLabels.subarray(0, n), probes.labels.subarray(0, n)); // env 0 variant = env 0's own probes
  });

  it("gives conflicting counterfactual labels at similarity 0", () => {
    const w = new TeacherWorld(family({ similarity: 0 }), names(3));
    const p = makeProbes(w, 50);
    for (let i = 0; i < 50; i++) assert.equal(new Set([0, 1, 2].map((e) => p.cfLabels[e * 50 + i])).size, 3);
  });
});

describe("labelAgreement", () => {
  const envCounts = [2, 3, 7];
  for (const E of envCounts) {
    it(`is 0 for every pair of ${E} trained envs at similarity 0 and 1 at similarity 1`, () => {
      const w0 = new TeacherWorld(family({ similarity: 0 }), names(E));
      const w1 = new TeacherWorld(family({ similarity: 1 }), names(E));
      for (let a = 0; a < E; a++)
        for (let b = a + 1; b < E; b++) {
          assert.equal(labelAgreement(w0, a, b, 2000), 0, `${a},${b} at 0`);
          assert.equal(labelAgreement(w1, a, b, 2000), 1, `${a},${b} at 1`);
        }
    });
  }

  it("lies strictly between 0 and 1 at intermediate similarity and rises with it", () => {
    const sims = [0, 0.25, 0.5, 0.75, 0.9, 1];
    const agree = sims.map((similarity) => labelAgreement(new TeacherWorld(family({ similarity }), names(3)), 0, 1, 3000));
    for (let i = 1; i < agree.length; i++) assert.ok(agree[i]! >= agree[i - 1]!, `not monotone: ${agree.join(", ")}`);
    for (const a of agree.slice(1, -1)) assert.ok(a > 0 && a < 1, `${agree.join(", ")}`);
  });

  it("is 1 for an env with itself and symmetric", () => {
    const w = new TeacherWorld(family({ similarity: 0.5 }), names(3));
    assert.equal(labelAgreement(w, 1, 1, 500), 1);
    assert.equal(labelAgreement(w, 0, 2, 1000), labelAgreement(w, 2, 0, 1000));
  });
});

describe("cueDecodability", () => {
  for (const E of [2, 3]) {
    it(`is ≈ 1/${E} at distinguishability 0 with ${E} envs`, () => {
      const d = cueDecodability(new TeacherWorld(family({ distinguishability: 0 }), names(E)));
      assert.ok(Math.abs(d - 1 / E) < 0.02, `got ${d}`);
    });
    it(`is 1 at distinguishability 1 with ${E} envs`, () => {
      assert.equal(cueDecodability(new TeacherWorld(family({ distinguishability: 1 }), names(E))), 1);
    });
    it(`does not decrease over distinguishability 0, 0.1, 0.2, 0.4, 1 with ${E} envs`, () => {
      const ds = [0, 0.1, 0.2, 0.4, 1].map((distinguishability) => cueDecodability(new TeacherWorld(family({ distinguishability }), names(E)), 10_000));
      for (let i = 1; i < ds.length; i++) assert.ok(ds[i]! >= ds[i - 1]!, `not monotone: ${ds.join(", ")}`);
      assert.ok(ds[3]! > ds[0]! + 0.2, `too flat: ${ds.join(", ")}`);
    });
  }

  it("is 1 with a single env (nothing to tell apart)", () => {
    assert.equal(cueDecodability(new TeacherWorld(family({ distinguishability: 0 }), ["A"])), 1);
  });
});
