import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { worlds } from "../../src/envs/index.ts";
import { parseSpec } from "../../src/experiment/load.ts";
import { lmsk, LmskWorld, lmskNovelSchema, lmskSchema, type LmskNovel } from "../../src/envs/lmsk.ts";
import { Rng } from "../../src/util/rng.ts";

const config = (o: Record<string, unknown> = {}) => lmskSchema.parse({ kind: "lmsk", ...o });
const novel = (o: Record<string, unknown>) => lmskNovelSchema.parse({ kind: "randomise", ...o }) as LmskNovel;

/** n examples of env e: rows [n, inputDim] and clean labels. */
function draw(w: LmskWorld, e: number, n = 1000, seed = 99) {
  const rng = new Rng(seed), D = w.inputDim;
  const x = new Float32Array(n * D), y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = w.sample(e, rng, x, i * D);
  return { x, y, n, D };
}

/** The k-slab decision rule written from the paper's layout: the nearest slab's class (centre slab = 0); -1 in a gap. */
function slabClass(v: number, k: number, margin: number): number {
  const width = (2 - 2 * (k - 1) * margin) / k, pitch = width + 2 * margin;
  const j = Math.floor((v + 1) / pitch);
  if (v + 1 - j * pitch > width + 1e-6) return -1;
  return Math.abs(j - (k - 1) / 2) % 2;
}

/** Accuracy of the linear rule (sign of x₀) and of the slab rule on every slab coordinate. */
function decode(w: LmskWorld, d: ReturnType<typeof draw>) {
  const { k, slabs, margin } = w.config;
  let lin = 0, slab = 0;
  for (let i = 0; i < d.n; i++) {
    const row = d.x.subarray(i * d.D, (i + 1) * d.D);
    lin += +(+(row[0]! > 0) === d.y[i]);
    for (let j = 1; j <= slabs; j++) slab += +(slabClass(row[j]!, k, margin) === d.y[i]);
  }
  return { linear: lin / d.n, slab: slab / (d.n * slabs) };
}
const chance = (a: number) => Math.abs(a - 0.5) < 0.05;

describe("LmskWorld: features", () => {
  const w = new LmskWorld(config({ slabs: 9, features: { L: "linear", S: "slab" } }), ["A", "L", "S"]);

  it("lays out [linear, slabs, cue] with two classes", () => {
    assert.equal(w.inputDim, 1 + 9 + 4);
    assert.equal(w.classes, 2);
    assert.equal(new LmskWorld(config(), ["A"]).inputDim, 50 + 4);
  });

  it("puts every content value on ±[margin, 1] or inside a slab", () => {
    const d = draw(w, 0);
    for (let i = 0; i < d.n; i++) {
      const v = d.x[i * d.D]!;
      assert.ok(Math.abs(v) >= 0.1 && Math.abs(v) <= 1, `linear ${v}`);
      for (let j = 1; j <= 9; j++) assert.notEqual(slabClass(d.x[i * d.D + j]!, 5, 0.1), -1, `slab ${d.x[i * d.D + j]}`);
    }
  });

  const cases: [string, number, { linear: "perfect" | "chance"; slab: "perfect" | "chance" }][] = [
    ["both", 0, { linear: "perfect", slab: "perfect" }],
    ["linear", 1, { linear: "perfect", slab: "chance" }],
    ["slab", 2, { linear: "chance", slab: "perfect" }],
  ];
  for (const [feature, e, want] of cases)
    it(`decodes the label from ${feature === "both" ? "both features" : `the ${feature} feature only`} in a "${feature}" env`, () => {
      const acc = decode(w, draw(w, e));
      for (const f of ["linear", "slab"] as const)
        assert.ok(want[f] === "perfect" ? acc[f] === 1 : chance(acc[f]), `${f}: ${acc[f]}`);
    });

  it("draws balanced labels", () => {
    const ones = draw(w, 0, 2000).y.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(ones / 2000 - 0.5) < 0.04, `${ones}`);
  });

  for (const k of [3, 5, 7] as const)
    it(`decodes ${k}-slab coordinates with the slab rule alone`, () => {
      const v = new LmskWorld(config({ k, slabs: 4, margin: 0.05 }), ["A"]);
      assert.equal(decode(v, draw(v, 0, 500)).slab, 1);
    });

  it("gives the paper's slab proportions: LMS-5 class 0 sits in the centre slab 3/4 of the time", () => {
    const v = new LmskWorld(config({ slabs: 1 }), ["A"]), d = draw(v, 0, 4000);
    let zeros = 0, centre = 0;
    for (let i = 0; i < d.n; i++)
      if (d.y[i] === 0) [zeros, centre] = [zeros + 1, centre + +(Math.abs(d.x[i * d.D + 1]!) < v.slabWidth / 2)];
    assert.ok(Math.abs(centre / zeros - 0.75) < 0.03, `${centre / zeros}`);
  });
});

describe("LmskWorld: novel environments", () => {
  const w = new LmskWorld(config({ slabs: 9, features: { S: "slab" } }), ["A", "S"], [
    novel({ feature: "linear" }), novel({ feature: "slab" }), novel({ feature: "linear", name: "S-nolin", cueOf: "S" }),
  ]);

  it("lists trained envs first, then novel ones with their default names", () => {
    assert.deepEqual(w.envs.map((e) => [e.name, e.novel]), [["A", false], ["S", false], ["no-linear", true], ["no-slab", true], ["S-nolin", true]]);
    assert.equal(w.trained, 2);
  });

  it("keeps the cue of cueOf (the first trained env by default)", () => {
    assert.equal(w.envs[2]!.prototype, w.envs[0]!.prototype);
    assert.equal(w.envs[4]!.prototype, w.envs[1]!.prototype);
  });

  it("randomises the named feature and keeps the other (S-randomised sets)", () => {
    const noLin = decode(w, draw(w, w.index("no-linear"))), noSlab = decode(w, draw(w, w.index("no-slab")));
    assert.ok(chance(noLin.linear) && noLin.slab === 1, JSON.stringify(noLin));
    assert.ok(noSlab.linear === 1 && chance(noSlab.slab), JSON.stringify(noSlab));
    const none = decode(w, draw(w, w.index("S-nolin"))); // S carries its label in the slabs only
    assert.ok(chance(none.linear) && none.slab === 1, JSON.stringify(none));
  });

  it("rejects an unknown cueOf and a duplicate name", () => {
    assert.throws(() => new LmskWorld(config(), ["A"], [novel({ feature: "slab", cueOf: "Z" })]), /novel.0.cueOf: unknown environment: Z \(have A\)$/);
    assert.throws(() => new LmskWorld(config(), ["A"], [novel({ feature: "slab" }), novel({ feature: "slab" })]), /novel.1: duplicate environment name: no-slab/);
  });
});

describe("LmskWorld: config", () => {
  it("throws naming an unknown env in features, with the valid names", () => {
    assert.throws(() => new LmskWorld(config({ features: { Q: "slab" } }), ["A", "B"]), /world.features: unknown environment: Q \(have A, B\)$/);
  });

  it("rejects a margin that leaves no room for the slabs", () => {
    assert.throws(() => new LmskWorld(config({ k: 7, margin: 0.2 }), ["A"]), /world.margin: 0.2 leaves no room for 7 slabs/);
  });

  it("validates the spec's world: and novel: entries strictly", () => {
    assert.throws(() => lmskSchema.parse({ kind: "lmsk", slab: 3 }));
    assert.throws(() => lmskSchema.parse({ kind: "lmsk", k: 4 }));
    assert.throws(() => lmskSchema.parse({ kind: "lmsk", features: { A: "parity" } }));
    assert.throws(() => lmskNovelSchema.parse({ kind: "randomise", feature: "cue" }));
  });

  it("is registered as the lmsk world", () => {
    assert.equal(worlds.get("lmsk"), lmsk);
    const w = lmsk.create(config({ slabs: 3 }), ["A"], [novel({ feature: "linear" })]);
    assert.deepEqual(w.envs.map((e) => e.name), ["A", "no-linear"]);
  });

  it("is what a spec's world: and novel: entries are validated against", () => {
    const spec = parseSpec({ world: { kind: "lmsk", slabs: 3, features: { A: "slab" } }, envs: [{ name: "A" }], novel: [{ kind: "randomise", feature: "linear" }] });
    assert.deepEqual(spec.world, config({ slabs: 3, features: { A: "slab" } }));
    assert.throws(() => parseSpec({ world: { kind: "lmsk", features: { Q: "slab" } }, envs: [{ name: "A" }] }), /world.features: unknown environment: Q \(have A\)/);
    assert.throws(() => parseSpec({ world: { kind: "lmsk" }, envs: [{ name: "A" }], novel: [{ kind: "fresh" }] }), /novel/);
  });

  it("flips a training label with probability labelNoise", () => {
    const rng = new Rng(3);
    const flips = (p: number) => {
      const w = new LmskWorld(config({ labelNoise: p }), ["A"]);
      let n = 0;
      for (let i = 0; i < 4000; i++) n += +(w.noisy(i % 2, rng) !== i % 2);
      return n / 4000;
    };
    assert.equal(flips(0), 0);
    assert.ok(Math.abs(flips(0.2) - 0.2) < 0.025);
    assert.equal(flips(1), 1);
  });
});

describe("LmskWorld: probes and facts", () => {
  const make = (seed = 0, o: Record<string, unknown> = {}) =>
    new LmskWorld(config({ seed, slabs: 5, features: { L: "linear", S: "slab" }, ...o }), ["A", "L", "S"], [novel({ feature: "linear" })]);

  it("draws identical probes from the same world seed, different from another", () => {
    const [a, b, c] = [make(4).probes(32), make(4).probes(32), make(5).probes(32)];
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.x, c.x);
    assert.notDeepEqual(a.cf, c.cf);
  });

  it("shapes probes [envs, n, inputDim] and counterfactuals [trained, n, inputDim]", () => {
    const w = make(), p = w.probes(16);
    assert.equal(p.envs, 4);
    assert.equal(p.x.length, 4 * 16 * w.inputDim);
    assert.equal(p.labels.length, 4 * 16);
    assert.equal(p.cf.length, 3 * 16 * w.inputDim);
    assert.equal(p.cfLabels.length, 3 * 16);
  });

  it("shows the same content under every trained cue, labelled by each env's feature", () => {
    const w = make(), n = 1000, p = w.probes(n), D = w.inputDim, C = 1 + 5;
    let disagree = 0;
    for (let i = 0; i < n; i++) {
      const row = (e: number) => p.cf.subarray((e * n + i) * D, (e * n + i + 1) * D);
      for (let e = 1; e < 3; e++) assert.deepEqual(row(e).subarray(0, C), row(0).subarray(0, C));
      assert.equal(p.cfLabels[i], +(row(0)[0]! > 0)); // "both": the linear bit
      assert.equal(p.cfLabels[n + i], +(row(1)[0]! > 0));
      assert.equal(p.cfLabels[2 * n + i], slabClass(row(2)[1]!, 5, 0.1));
      disagree += +(p.cfLabels[n + i] !== p.cfLabels[2 * n + i]);
    }
    assert.ok(chance(disagree / n), `${disagree / n}`);
  });

  it("decodes the cue perfectly at distinguishability 1 and at chance at 0", () => {
    assert.equal(make(0, { distinguishability: 1 }).facts().cueDecodability, 1);
    assert.ok(Math.abs(make(0, { distinguishability: 0 }).facts().cueDecodability - 1 / 3) < 0.02);
    assert.equal(new LmskWorld(config(), ["A"]).facts().cueDecodability, 1);
  });

  it("states label agreement: 1 between envs sharing a feature, 1/2 otherwise, null with one env", () => {
    const w = make();
    assert.equal(w.facts().labelAgreement, 1); // A ("both") and L ("linear") read the linear bit
    assert.equal(w.labelAgreement(1, 2), 0.5);
    assert.equal(new LmskWorld(config(), ["A"]).facts().labelAgreement, null);
  });
});
