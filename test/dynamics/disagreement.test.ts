import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { type Model, maxDisagreement, meanKl } from "../../src/dynamics/index.ts";
import { Rng } from "../../src/util/rng.ts";

before(async () => {
  await init("wasm");
});

type P = { W: np.Array; b: np.Array };
const linear: Model<P> = (p, x) => np.matmul(x, p.W).add(p.b); // [n, dim] @ [dim, k] + [k]
const DIM = 6;
const K = 3;
const randomLinear = (seed: number): P => {
  const rng = new Rng(seed);
  const W = Float32Array.from({ length: DIM * K }, () => rng.normal());
  return { W: np.array(W, { shape: [DIM, K] }), b: np.array(Float32Array.from({ length: K }, () => rng.normal())) };
};
const BOX: [number, number][] = [[-1, 1], [-1, 1], [0, 2], [-0.5, 0.5], [-1, 1], [-3, -1]];

describe("maxDisagreement", () => {
  it("beats the random-sample maximum on two linear softmax models and stays in the box", (t) => {
    const m1 = { f: linear, params: randomLinear(1) };
    const m2 = { f: linear, params: randomLinear(2) };
    const r = maxDisagreement(m1, m2, BOX, { restarts: 8, steps: 150, samples: 4096, seed: 3 });
    const at = r.x.map((v) => v.toFixed(2)).join(", ");
    t.diagnostic(`ascent KL ${r.kl.toFixed(4)} vs random max ${r.randomMaxKl.toFixed(4)} at x = (${at})`);
    assert.ok(r.kl >= r.randomMaxKl, `${r.kl} < ${r.randomMaxKl}`);
    assert.equal(r.x.length, DIM);
    r.x.forEach((v, i) => assert.ok(v >= BOX[i]![0] && v <= BOX[i]![1], `x[${i}] = ${v} outside ${BOX[i]}`));
    // the reported KL is the KL at the reported x
    const again = meanKl(m1, m2, np.array([r.x]));
    assert.ok(Math.abs(again - r.kl) < 1e-4 * Math.max(1, r.kl), `${again} vs ${r.kl}`);
    assert.equal(r.history.length, 151);
    r.history.forEach((h, i) => i > 0 && assert.ok(h >= r.history[i - 1]!, "history is the best so far"));
    assert.equal(m1.params.W.refCount, 1, "borrows params");
    tree.dispose([m1.params, m2.params]);
  });

  it("finds no disagreement between a model and itself", () => {
    const p = randomLinear(4);
    const r = maxDisagreement({ f: linear, params: p }, { f: linear, params: p }, BOX, { steps: 10, samples: 64 });
    assert.ok(Math.abs(r.kl) < 1e-5 && Math.abs(r.randomMaxKl) < 1e-5, `${r.kl}, ${r.randomMaxKl}`);
    tree.dispose(p);
  });

  it("rejects an empty or inverted box", () => {
    const m = { f: linear, params: randomLinear(5) };
    assert.throws(() => maxDisagreement(m, m, [[1, 0]]), /expected box: \[lo, hi\] pairs with lo ≤ hi, got \[\[1,0\]\]$/);
    tree.dispose(m.params);
  });
});
