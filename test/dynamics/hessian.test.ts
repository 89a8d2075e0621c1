import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, tree } from "@jax-js/jax";
import { hutchinsonTrace, hvp, topEigenvalue } from "../../src/dynamics/index.ts";
import { type QParams, matvec, qParams, quadratic, symmetric, toBatch } from "./_fixtures.ts";

before(async () => {
  await init("wasm");
});

const EIGS = [5, 3, 2, 1, 0.5]; // λ_max = 5, tr = 11.5
const A = symmetric(EIGS, 7);
const W = [0.3, -1, 2, 0.5, -0.7];

describe("hvp", () => {
  it("equals A v on a quadratic, exactly up to float32", () => {
    const v = [1, -2, 0.5, 3, -1];
    const hv = hvp(quadratic, qParams(W), toBatch(A, 5), qParams(v)) as QParams;
    const got = [...hv.a.dataSync(), ...hv.b.dataSync()];
    const want = matvec(A, v);
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-5, `component ${i}: ${g} vs ${want[i]}`));
  });

  it("consumes its arguments (jax-js move semantics)", () => {
    const p = qParams(W);
    const batch = toBatch(A, 5);
    tree.dispose(hvp(quadratic, tree.ref(p), tree.ref(batch), qParams([1, 0, 0, 0, 0])));
    assert.equal(p.a.refCount, 1);
    assert.equal(batch.A.refCount, 1);
  });
});

describe("topEigenvalue", () => {
  it("finds λ_max of a dense symmetric A to 1e-3 relative", (t) => {
    const p = qParams(W);
    const batch = toBatch(A, 5);
    const r = topEigenvalue(quadratic, p, batch, { iters: 200, tol: 1e-7, seed: 1 });
    t.diagnostic(`λ̂ = ${r.eigenvalue} after ${r.iters} HVPs`);
    assert.ok(r.converged, `not converged after ${r.iters}`);
    assert.ok(Math.abs(r.eigenvalue - 5) / 5 < 1e-3, `eigenvalue ${r.eigenvalue}`);
    assert.ok(Math.abs(r.history.at(-1)! - 5) / 5 < 1e-3, "‖Hv‖ converges to |λ_max|");
    assert.equal(p.a.refCount, 1, "borrows params");
    const Av = matvec(A, r.vector); // the vector is the eigenvector: A v = 5 v
    Av.forEach((x, i) => assert.ok(Math.abs(x - 5 * r.vector[i]!) < 1e-2));
  });

  it("is deterministic for a seed", () => {
    const run = () => topEigenvalue(quadratic, qParams(W), toBatch(A, 5), { iters: 5, seed: 3 }).eigenvalue;
    assert.equal(run(), run());
  });
});

describe("hutchinsonTrace", () => {
  it("lands within 3 standard errors of tr(A) for a dense A", (t) => {
    const r = hutchinsonTrace(quadratic, qParams(W), toBatch(A, 5), { samples: 64, seed: 2 });
    t.diagnostic(`trace ${r.mean.toFixed(4)} ± ${r.stderr.toFixed(4)} (tr A = 11.5)`);
    assert.ok(r.stderr > 0);
    assert.ok(Math.abs(r.mean - 11.5) < 3 * r.stderr, `trace ${r.mean} ± ${r.stderr}`);
  });

  it("is exact on a diagonal A (Rademacher probes have zero variance there)", () => {
    const D = new Float64Array(25);
    EIGS.forEach((e, i) => (D[i * 6] = e));
    const r = hutchinsonTrace(quadratic, qParams(W), toBatch(D, 5), { samples: 8, seed: 2 });
    assert.ok(Math.abs(r.mean - 11.5) < 1e-4 && r.stderr < 1e-4, `trace ${r.mean} ± ${r.stderr}`);
  });
});
