import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { familySchema, TeacherWorld, type NovelSpec } from "../../src/envs/teacher.ts";
import { Rng } from "../../src/util/rng.ts";

const family = (o: Partial<ReturnType<typeof familySchema.parse>> = {}) => familySchema.parse(o);
const names = (n: number) => ["A", "B", "C", "D", "E", "F", "G", "H"].slice(0, n);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
/** Clean labels of env e on n fresh contents from a fixed stream. */
function labelsOf(w: TeacherWorld, e: number, n = 500, seed = 99): number[] {
  const rng = new Rng(seed);
  const x = new Float64Array(w.family.content);
  return Array.from({ length: n }, () => {
    for (let j = 0; j < x.length; j++) x[j] = rng.normal();
    return w.label(e, x);
  });
}

describe("TeacherWorld: determinism", () => {
  const novel: NovelSpec[] = [{ kind: "fresh" }, { kind: "blend", of: ["A", "B"], weight: 0.5 }];

  it("builds identical prototypes, rules and labels from the same family seed", () => {
    const a = new TeacherWorld(family({ seed: 7, similarity: 0.3 }), names(3), novel);
    const b = new TeacherWorld(family({ seed: 7, similarity: 0.3 }), names(3), novel);
    assert.deepEqual(a.envs, b.envs);
    for (let e = 0; e < a.envs.length; e++) assert.deepEqual(labelsOf(a, e), labelsOf(b, e));
  });

  it("builds different prototypes and labels from a different family seed", () => {
    const a = new TeacherWorld(family({ seed: 7, similarity: 0.3 }), names(3), novel);
    const b = new TeacherWorld(family({ seed: 8, similarity: 0.3 }), names(3), novel);
    for (let e = 0; e < a.envs.length; e++) assert.notDeepEqual(a.envs[e]!.prototype, b.envs[e]!.prototype);
    assert.notDeepEqual(labelsOf(a, 0), labelsOf(b, 0));
  });
});

describe("TeacherWorld: construction", () => {
  it("lists trained envs first, then novel ones, with their default names", () => {
    const w = new TeacherWorld(family(), ["A", "B"], [{ kind: "fresh" }, { kind: "blend", of: ["B", "A"], weight: 0.5 }, { kind: "fresh", name: "far" }]);
    assert.equal(w.trained, 2);
    assert.equal(w.inputDim, 24 + 8);
    assert.deepEqual(w.envs.map((e) => [e.name, e.novel]), [["A", false], ["B", false], ["novel1", true], ["blend(B,A)", true], ["far", true]]);
    assert.equal(w.index("blend(B,A)"), 3);
    assert.equal(w.env("far"), w.envs[4]);
  });

  it("throws naming an unknown environment", () => {
    const w = new TeacherWorld(family(), ["A", "B"]);
    assert.throws(() => w.env("Q"), /unknown environment: Q$/);
    assert.throws(() => w.index("Q"), /unknown environment: Q$/);
    assert.throws(() => new TeacherWorld(family(), ["A", "B"], [{ kind: "blend", of: ["A", "Z"], weight: 0.5 }]), /novel.0.of: unknown environment: Z \(have A, B\)$/);
  });

  const tooMany: [number, number][] = [[2, 2], [3, 3], [3, 5], [8, 8]];
  for (const [classes, envs] of tooMany) {
    it(`rejects ${envs} environments for ${classes} classes`, () => {
      assert.throws(() => new TeacherWorld(family({ classes }), names(envs)), new RegExp(`need more classes than environments: ${classes} classes for ${envs} environments`));
    });
  }

  it("gives unit-norm, mutually orthogonal trained prototypes when envs ≤ cue dims", () => {
    const w = new TeacherWorld(family({ cue: 8, classes: 16 }), names(8), [{ kind: "fresh" }]);
    for (let a = 0; a < w.envs.length; a++) {
      assert.ok(Math.abs(dot(w.envs[a]!.prototype, w.envs[a]!.prototype) - 1) < 1e-12);
      for (let b = a + 1; b < w.trained; b++) assert.ok(Math.abs(dot(w.envs[a]!.prototype, w.envs[b]!.prototype)) < 1e-12, `${a}·${b}`);
    }
  });

  const weights = [0.5, 0.3, 0.9];
  for (const weight of weights) {
    it(`gives a blend (weight ${weight}) the normalised mix of its parents' prototypes`, () => {
      const w = new TeacherWorld(family(), ["A", "B", "C"], [{ kind: "blend", of: ["A", "C"], weight }]);
      const a = w.env("A").prototype, c = w.env("C").prototype, p = w.envs[3]!.prototype;
      const mix = a.map((v, j) => weight * v + (1 - weight) * c[j]!);
      const norm = Math.sqrt(dot(mix, mix));
      for (let j = 0; j < p.length; j++) assert.ok(Math.abs(p[j]! - mix[j]! / norm) < 1e-12);
      assert.ok(Math.abs(dot(p, p) - 1) < 1e-12);
    });
  }

  it("makes a blend of weight 1 label like its first parent and of weight 0 like its second", () => {
    const w = new TeacherWorld(family({ similarity: 0.2 }), ["A", "B", "C"], [
      { kind: "blend", of: ["B", "C"], weight: 1 },
      { kind: "blend", of: ["B", "C"], weight: 0 },
    ]);
    assert.deepEqual(labelsOf(w, 3), labelsOf(w, 1));
    assert.deepEqual(labelsOf(w, 4), labelsOf(w, 2));
  });
});

describe("TeacherWorld.label", () => {
  it("gives labels in [0, classes) for every env, trained and novel", () => {
    for (const classes of [3, 8, 13]) {
      const w = new TeacherWorld(family({ classes, similarity: 0.4 }), ["A", "B"], [{ kind: "fresh" }, { kind: "blend", of: ["A", "B"], weight: 0.5 }]);
      for (let e = 0; e < w.envs.length; e++) {
        for (const l of labelsOf(w, e, 300)) assert.ok(Number.isInteger(l) && l >= 0 && l < classes, `env ${e}: ${l}`);
      }
    }
  });

  it("reads only the content, at the given offset", () => {
    const w = new TeacherWorld(family({ content: 4, cue: 2 }), ["A", "B"]);
    const x = [0.3, -1.2, 0.8, 2.0];
    const padded = [9, 9, ...x, -5, 7];
    for (let e = 0; e < 2; e++) assert.equal(w.label(e, padded, 2), w.label(e, x));
  });

  it("at similarity 0, a fresh novel rule disagrees with the shared rule on every input", () => {
    // The fresh rule is a derangement of the shared logits' labels; at similarity 1 every env uses the shared rule.
    const shared = new TeacherWorld(family({ similarity: 1 }), ["A", "B"], [{ kind: "fresh" }]);
    const fresh = new TeacherWorld(family({ similarity: 0 }), ["A", "B"], [{ kind: "fresh" }]);
    const s = labelsOf(shared, 0), f = labelsOf(fresh, 2);
    assert.ok(s.every((l, i) => l !== f[i]));
  });
});

describe("TeacherWorld.sample and writeCue", () => {
  it("draws content ~ N(0, 1) and returns the clean label of what it wrote", () => {
    const w = new TeacherWorld(family({ distinguishability: 0.5 }), ["A", "B"]);
    const D = w.inputDim, C = w.family.content, N = 20_000;
    const x = new Float32Array(N * D);
    const rng = new Rng(3);
    let sum = 0, sq = 0;
    for (let i = 0; i < N; i++) {
      const l = w.sample(i % 2, rng, x, i * D);
      assert.equal(l, w.label(i % 2, x, i * D));
      for (let j = 0; j < C; j++) {
        const v = x[i * D + j]!;
        sum += v;
        sq += v * v;
      }
    }
    const mean = sum / (N * C), variance = sq / (N * C) - mean * mean;
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  });

  it("writes exactly √cue·prototype at distinguishability 1", () => {
    const w = new TeacherWorld(family({ distinguishability: 1 }), ["A", "B", "C"]);
    const out = new Float32Array(w.family.cue);
    for (let e = 0; e < 3; e++) {
      w.writeCue(e, new Rng(e), out, 0);
      const p = w.envs[e]!.prototype;
      for (let j = 0; j < out.length; j++) assert.ok(Math.abs(out[j]! - Math.sqrt(8) * p[j]!) < 1e-6);
    }
  });

  it("writes pure N(0, 1) noise, the same for every env, at distinguishability 0", () => {
    const w = new TeacherWorld(family({ distinguishability: 0 }), ["A", "B"]);
    const a = new Float32Array(8), b = new Float32Array(8);
    w.writeCue(0, new Rng(5), a, 0);
    w.writeCue(1, new Rng(5), b, 0);
    assert.deepEqual(a, b);
    const many = new Float32Array(8 * 5000), rng = new Rng(6);
    for (let i = 0; i < 5000; i++) w.writeCue(i % 2, rng, many, i * 8);
    const mean = many.reduce((s, v) => s + v, 0) / many.length;
    const variance = many.reduce((s, v) => s + v * v, 0) / many.length - mean * mean;
    assert.ok(Math.abs(mean) < 0.02 && Math.abs(variance - 1) < 0.04, `mean ${mean}, variance ${variance}`);
  });

  it("uses a given noise vector instead of drawing", () => {
    const w = new TeacherWorld(family({ distinguishability: 0.25 }), ["A", "B"]);
    const noise = Float64Array.from({ length: 8 }, (_, j) => j - 3.5);
    const out = new Float32Array(8);
    w.writeCue(1, new Rng(1), out, 0, noise);
    const p = w.envs[1]!.prototype;
    for (let j = 0; j < 8; j++) assert.ok(Math.abs(out[j]! - (0.25 * Math.sqrt(8) * p[j]! + 0.75 * noise[j]!)) < 1e-6);
  });
});

describe("TeacherWorld.noisy", () => {
  const cases: [labelNoise: number, classes: number][] = [[0, 8], [0.3, 8], [0.5, 3], [1, 8], [1, 2]];
  for (const [labelNoise, classes] of cases) {
    const want = labelNoise * (1 - 1 / classes);
    it(`changes a fraction ≈ ${want.toFixed(4)} of labels at labelNoise ${labelNoise} with ${classes} classes`, () => {
      const w = new TeacherWorld(family({ labelNoise, classes }), ["A"]);
      const rng = new Rng(11), N = 100_000;
      let changed = 0;
      for (let i = 0; i < N; i++) {
        const clean = i % classes;
        const l = w.noisy(clean, rng);
        assert.ok(l >= 0 && l < classes);
        if (l !== clean) changed++;
      }
      const frac = changed / N, sd = Math.sqrt((want * (1 - want)) / N);
      assert.ok(Math.abs(frac - want) <= 5 * sd + 1e-12, `changed ${frac}, want ${want} ± ${5 * sd}`);
    });
  }
});
