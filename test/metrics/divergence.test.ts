import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { entropy, entropyAt, js, jsMany, jsOfMixture, kl, meanJs } from "../../src/metrics/divergence.ts";
import { Rng } from "../../src/util/rng.ts";
import { close, randomDist } from "./_fixtures.ts";

describe("js", () => {
  // [1,0] vs [.5,.5]: m = [.75,.25]; KL(p‖m) = log2(4/3) = 0.4150375; KL(q‖m) = ½log2(2/3) + ½log2(2) = 0.2075187;
  // JS = ½(0.4150375 + 0.2075187) = 0.3112781
  const cases: [string, number[], number[], number][] = [
    ["identical distributions", [0.2, 0.3, 0.5], [0.2, 0.3, 0.5], 0],
    ["identical one-hots", [0, 1, 0], [0, 1, 0], 0],
    ["disjoint one-hots", [1, 0, 0], [0, 0, 1], 1],
    ["disjoint supports", [0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], 1],
    ["one-hot vs uniform, by hand", [1, 0], [0.5, 0.5], 0.3112781],
  ];
  for (const [name, p, q, want] of cases) {
    it(`${name} → ${want}`, () => {
      close(js(p, q), want, 1e-7);
      close(js(q, p), want, 1e-7, "symmetric:");
    });
  }

  it("stays in [0, 1] on random pairs and on float32 input", () => {
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const d = js(Float32Array.from(randomDist(rng, 5)), randomDist(rng, 5));
      assert.ok(d >= 0 && d <= 1, `got ${d}`);
    }
  });

  it("throws on mismatched lengths", () => {
    assert.throws(() => js([1], [0.5, 0.5]), /js: expected equal lengths, got 1 and 2/);
  });
});

describe("kl", () => {
  const cases: [string, number[], number[], number][] = [
    ["identical", [0.3, 0.7], [0.3, 0.7], 0],
    ["by hand: ½ln2 + ½ln(2/3)", [0.5, 0.5], [0.25, 0.75], 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3)],
    ["zero in p contributes nothing", [1, 0], [0.5, 0.5], Math.log(2)],
    ["zero in q is clamped to eps", [1, 0], [0, 1], -Math.log(1e-12)],
  ];
  for (const [name, p, q, want] of cases) it(name, () => close(kl(p, q), want, 1e-9));
});

describe("entropy and jsMany", () => {
  it("entropy is 2 bits for uniform over 4, 0 for a one-hot", () => {
    close(entropy([0.25, 0.25, 0.25, 0.25]), 2);
    close(entropy([0, 1, 0]), 0);
  });

  for (const K of [2, 3, 4, 8]) {
    it(`K=${K} disjoint one-hots → log2 K, K identical → 0`, () => {
      const onehots = Array.from({ length: K }, (_, k) => Float64Array.from({ length: K }, (_, c) => +(c === k)));
      close(jsMany(onehots), Math.log2(K), 1e-12);
      close(jsMany(Array.from({ length: K }, () => [0.1, 0.2, 0.7])), 0, 1e-12);
    });
  }

  it("equals js for two distributions", () => {
    const rng = new Rng(2);
    for (let i = 0; i < 50; i++) {
      const p = randomDist(rng, 6);
      const q = randomDist(rng, 6);
      close(jsMany([p, q]), js(p, q), 1e-12);
    }
  });

  it("gives the same number bit for bit from precomputed entropies, and refuses a wrong count", () => {
    const rng = new Rng(3);
    const ds = Array.from({ length: 5 }, () => randomDist(rng, 7));
    assert.equal(jsMany(ds, ds.map((d) => entropy(d))), jsMany(ds));
    assert.throws(() => jsMany(ds, [1, 2]), /expected 5 entropies, got 2/);
  });

  it("entropyAt and jsOfMixture on a flat array give entropy's and jsMany's bits, without views", () => {
    const rng = new Rng(4), C = 7;
    const ds = Array.from({ length: 4 }, () => randomDist(rng, C));
    const flat = new Float64Array(3 + ds.length * C); // three entries of padding before the cells
    ds.forEach((d, k) => flat.set(d, 3 + k * C));
    ds.forEach((d, k) => assert.ok(Object.is(entropyAt(flat, 3 + k * C, C), entropy(d))));
    const mix = new Float64Array(2 + C);
    let meanH = 0;
    ds.forEach((d) => { for (let i = 0; i < C; i++) mix[2 + i]! += d[i]! / ds.length; meanH += entropy(d) / ds.length; });
    assert.ok(Object.is(jsOfMixture(mix, 2, C, meanH), jsMany(ds)));
    close(entropyAt([9, 0.5, 0.5, 9], 1, 2), 1, 1e-15); // only the C entries from the offset
  });
});

describe("meanJs", () => {
  it("averages over rows: one identical row and one disjoint row → 0.5", () => {
    const p = Float32Array.from([1, 0, 0.5, 0.5]);
    const q = Float32Array.from([0, 1, 0.5, 0.5]);
    close(meanJs(p, q, 2), 0.5, 1e-12);
  });

  it("throws when the length is not a multiple of C", () => {
    assert.throws(() => meanJs([1, 0, 0], [0, 1, 0], 2), /meanJs: expected equal lengths divisible by C=2, got 3 and 3/);
  });
});
