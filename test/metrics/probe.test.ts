import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodability, ldaDecodability, probeDecodability, splitHalves } from "../../src/metrics/probe.ts";
import { randn } from "./_fixtures.ts";

const M = 400;
const H = 8;
const E = 4;
const labels = Int32Array.from({ length: M }, (_, i) => i % E);

/** Noise activations `[M][H]` with unit 0 replaced by f(env). */
function withCode(code: (e: number) => number, seed = 1): Float64Array {
  const x = randn(seed, M, H);
  for (let i = 0; i < M; i++) x[i * H] = code(labels[i]!);
  return x;
}

describe("probeDecodability", () => {
  const cases: [string, Float64Array, number, number][] = [
    // [name, activations, lowest accepted accuracy, highest]
    ["one unit equal to the env id (ordinal code, E = 4)", withCode((e) => e), 0.99, 1],
    ["one unit equal to the env id plus small noise", withCode((e) => e).map((v, i) => (i % H === 0 ? v + 0.05 * Math.sin(i) : v)), 0.99, 1],
    ["env one-hot (+5) over 4 noise units", (() => { const x = randn(2, M, H); for (let i = 0; i < M; i++) x[i * H + labels[i]!]! += 5; return x; })(), 0.98, 1],
    ["pure noise (chance = 0.25)", randn(3, M, H), 0.25 - 0.1, 0.25 + 0.1],
  ];
  for (const [name, x, lo, hi] of cases) {
    it(`${name} → accuracy in [${lo}, ${hi}]`, () => {
      const r = probeDecodability(x, labels, M, H);
      assert.ok(r.accuracy >= lo && r.accuracy <= hi, `got ${r.accuracy}`);
      assert.equal(r.uniform, 0.25);
      assert.equal(r.chance, 0.25);
    });
  }

  it("is deterministic", () => {
    const x = randn(4, M, H);
    assert.deepEqual(probeDecodability(x, labels, M, H), probeDecodability(x, labels, M, H));
  });

  it("reports the majority class as chance when envs are imbalanced", () => {
    const y = Int32Array.from({ length: 40 }, (_, i) => (i < 30 ? 0 : 1));
    const r = probeDecodability(randn(5, 40, 3), y, 40, 3);
    assert.equal(r.chance, 0.75);
    assert.equal(r.uniform, 0.5);
  });

  it("throws on labels outside [0, E)", () => {
    assert.throws(() => probeDecodability(randn(1, 4, 2), [0, 1, 2, 3], 4, 2, { E: 3 }), /labels: expected values < E=3, got 3/);
    assert.throws(() => probeDecodability(randn(1, 4, 2), [0, 1, -1, 0], 4, 2), /labels\[2\]: expected an integer >= 0, got -1/);
  });
});

describe("splitHalves", () => {
  it("alternates within each env, so label order cannot unbalance the halves", () => {
    const { train, test } = splitHalves([0, 1, 0, 1, 0, 1, 0, 1], 2);
    assert.deepEqual(train, [0, 1, 4, 5]);
    assert.deepEqual(test, [2, 3, 6, 7]);
  });
});

describe("decodability", () => {
  it("probes each seed of [S][M][H] separately", () => {
    const acts = new Float32Array(2 * M * H);
    acts.set(withCode((e) => e)); // seed 0 encodes the env
    acts.set(randn(9, M, H), M * H); // seed 1 is noise
    const r = decodability(acts, labels, { S: 2, M, H });
    assert.ok(r.accuracy[0]! > 0.99 && r.accuracy[1]! < 0.4, `got ${r.accuracy.join(", ")}`);
    assert.equal(r.chance, 0.25);
  });
});

describe("ldaDecodability", () => {
  it("decodes an env written into one unit, and sits at chance on noise", () => {
    const M = 200, H = 16;
    const labels = Int32Array.from({ length: M }, (_, i) => i % 2);
    const noise = randn(5, M, H);
    const signal = Float64Array.from(noise);
    for (let i = 0; i < M; i++) signal[i * H + 3] = labels[i]! * 10;
    assert.equal(ldaDecodability(signal, labels, M, H, 2), 1);
    const chance = ldaDecodability(noise, labels, M, H, 2);
    assert.ok(chance > 0.3 && chance < 0.7, `noise: ${chance}`);
  });
  it("separates three envs coded by the same unit's level", () => {
    const M = 300, H = 4;
    const labels = Int32Array.from({ length: M }, (_, i) => i % 3);
    const x = Float64Array.from(randn(6, M, H), (v) => v * 0.1);
    for (let i = 0; i < M; i++) x[i * H] = labels[i]!;
    assert.ok(ldaDecodability(x, labels, M, H, 3) > 0.95);
  });
});
