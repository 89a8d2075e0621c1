// outputDistance against values computed by hand, and against the typed-array metrics.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { outputDistance } from "../../src/dynamics/distance.ts";
import type { Model } from "../../src/dynamics/index.ts";
import { js, kl } from "../../src/metrics/divergence.ts";

before(async () => {
  await init("wasm");
});

// logits are the input itself: the model's outputs are set row by row by the test
type P = { s: np.Array };
const scaled: Model<P> = (p, x) => x.mul(p.s);
const softmax = (z: number[]) => {
  const e = z.map(Math.exp);
  const t = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / t);
};

describe("outputDistance", () => {
  it("matches KL and JS computed by hand, and counts agreement of greedy answers", () => {
    const rows = [[0, 1, 2], [2, 0, 0], [0, 0, 3]];
    const x = np.array(rows);
    const a = { f: scaled, params: { s: np.array(1) } };
    const b = { f: scaled, params: { s: np.array(-0.5) } }; // flips every preference
    const d = outputDistance(a, b, x);
    const p = rows.map(softmax), q = rows.map((r) => softmax(r.map((v) => -0.5 * v)));
    const mean = (f: (i: number) => number) => rows.reduce((s, _, i) => s + f(i), 0) / rows.length;
    assert.ok(Math.abs(d.kl12 - mean((i) => kl(p[i]!, q[i]!))) < 1e-5);
    assert.ok(Math.abs(d.kl21 - mean((i) => kl(q[i]!, p[i]!))) < 1e-5);
    assert.ok(Math.abs(d.js - mean((i) => js(p[i]!, q[i]!))) < 1e-5);
    assert.equal(d.agreement, 0, "argmax flips on every row");
    assert.equal(d.n, 3);
    tree.dispose([x, a.params, b.params]);
  });

  it("is zero between a model and itself, with full agreement", () => {
    const x = np.array([[1, 2], [3, -1]]);
    const m = { f: scaled, params: { s: np.array(2) } };
    const d = outputDistance(m, m, x);
    assert.ok(Math.abs(d.kl12) < 1e-6 && Math.abs(d.js) < 1e-6, `${d.kl12} ${d.js}`);
    assert.equal(d.agreement, 1);
    assert.equal(x.refCount, 1, "borrows x");
    tree.dispose([x, m.params]);
  });
});
