// The LLC estimator's behaviour and diagnostics, on quadratics and quartics whose answers are known
// by hand. Known answers on regression, normal crossings and reduced-rank regression: llc-known.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { llc, llcTrajectory, regularReference } from "../../src/dynamics/index.ts";
import { ess, splitRhat } from "../../src/dynamics/_llc-stats.ts";
import { Rng } from "../../src/util/rng.ts";

before(async () => {
  await init("wasm");
});

type W = { w: np.Array };
const none = {};
const n = 1000;
const nBeta = n / Math.log(n);
// L(w) = ½ Σ h_i w_i²: a regular model whose localised answer is Σ ½ nβh/(nβh + γ) exactly
const quadratic = (h: number[]) => {
  const hs = np.array(h);
  return (p: W, _: object) => np.square(p.w).mul(hs.ref).sum().mul(0.5);
};
const exact = (h: number[], gamma: number) => h.reduce((s, x) => s + (0.5 * nBeta * x) / (nBeta * x + gamma), 0);

/** Regression on n rows with d = 4 standard-normal inputs; w* the least-squares fit. */
function regression(d = 4) {
  const rng = new Rng(5, d);
  const X = Float32Array.from({ length: n * d }, () => rng.normal()); // [n, d]
  const Y = Float32Array.from({ length: n }, (_, i) => X[i * d]! - 0.5 * X[i * d + d - 1]! + rng.normal()); // [n]
  const batch = { x: np.array(X, { shape: [n, d] }), y: np.array(Y) };
  const loss = (p: W, b: typeof batch) => np.square(np.matmul(b.x, p.w).sub(b.y)).mean().mul(0.5);
  const w = { w: np.linalg.lstsq(batch.x.ref, batch.y.ref.reshape([n, 1])).reshape([d]) };
  return { batch, loss, w, dispose: () => tree.dispose([batch, w]) };
}

describe("llc: what the defaults fix", () => {
  it("γ = 100 sets a regression's answer at n = 1000 (37% below d/2, flagged); the defaults measure d/2", (t) => {
    const g = regression();
    const old = llc(g.loss, g.w, g.batch, { n, gamma: 100, stepSize: 1e-3, burnIn: 100, chains: 8, draws: 300 });
    const now = llc(g.loss, g.w, g.batch, { n, chains: 8, draws: 300 });
    t.diagnostic(`γ 100: λ̂ ${old.llc.toFixed(2)} (reference ${old.diagnostics.regularReference.toFixed(2)}); defaults: ${now.llc.toFixed(2)} ± ${now.llcSe.toFixed(2)}, γ ${now.settings.gamma}`);
    assert.ok(old.llc < 0.75 * 2 && Math.abs(old.llc - old.diagnostics.regularReference) < 0.2, "the prior's answer, Σ ½ nβh/(nβh + 100)");
    assert.equal(old.reliable, false);
    assert.match(old.warnings.join("\n"), /per e-fold of γ: the localisation, not the model, sets much of it/);
    assert.ok(Math.abs(now.llc - 2) < 0.2 && now.reliable, now.warnings.join("; "));
    g.dispose();
  });

  it("warns where the localisation dominates, with what a regular model would give", () => {
    const h = [0.02, 0.05, 0.1]; // nβh ≈ 3, 7, 14: all below γ = 100
    const r = llc(quadratic(h), { w: np.zeros([3]) }, none, { n, gamma: 100, chains: 8, draws: 300 });
    assert.ok(r.diagnostics.localisationDominates && r.diagnostics.regularExact);
    assert.ok(Math.abs(r.diagnostics.regularReference - exact(h, 100)) < 1e-3);
    const want = exact(h, 100).toPrecision(2); // 0.11: what the prior leaves of d/2 = 1.5
    assert.match(r.warnings.join("\n"), new RegExp(`^localisation dominates: γ 1.0e\\+2 > nβ·tr\\(H\\)/d = 8.2; a regular model with this Hessian would give λ̂ = ${want} \\(d/2 = 1.5\\)`, "m"));
  });
});

describe("llc: the chains", () => {
  it("samples the localised posterior exactly (MALA): λ̂ = Σ ½ nβh/(nβh + γ) on a quadratic", (t) => {
    const h = [0.01, 0.3, 1, 5];
    const r = llc(quadratic(h), { w: np.zeros([4]) }, none, { n, gamma: 3, chains: 16, draws: 500 });
    t.diagnostic(`λ̂ ${r.llc.toFixed(3)} ± ${r.llcSe.toFixed(3)}, exact ${exact(h, 3).toFixed(3)}, acceptance ${r.diagnostics.acceptance.toFixed(2)}`);
    assert.ok(Math.abs(r.llc - exact(h, 3)) < 4 * r.llcSe + 0.02, `${r.llc} vs ${exact(h, 3)}`);
    assert.equal(r.fractionBelowInit, 0, "nothing is below an exact minimum of value 0");
    assert.equal(r.chains.length, 16);
    assert.equal(r.chains[0]!.lossTrace.length, 500);
    assert.ok(r.settings.metropolis && r.diagnostics.acceptance > 0.5 && r.diagnostics.acceptance < 0.95, "ε adapted into the band");
  });

  it("dλ̂/d log γ from the chains matches the exact derivative −½ Σ γ nβh/(nβh + γ)²", (t) => {
    const h = [0.02, 0.1, 0.5];
    const gamma = 10;
    const r = llc(quadratic(h), { w: np.zeros([3]) }, none, { n, gamma, chains: 16, draws: 1000 });
    const want = -h.reduce((s, x) => s + (0.5 * gamma * nBeta * x) / (nBeta * x + gamma) ** 2, 0);
    t.diagnostic(`dλ̂/d log γ ${r.diagnostics.gammaSensitivity.toFixed(3)}, exact ${want.toFixed(3)}`);
    assert.ok(Math.abs(r.diagnostics.gammaSensitivity - want) < 0.25 * Math.abs(want));
  });

  it("minibatch SGLD: L(w) − L(w*) on the same rows, unbiased; no accept step", (t) => {
    const g = regression();
    const r = llc(g.loss, g.w, g.batch, { n, batchSize: 100, chains: 8, draws: 400 });
    t.diagnostic(`λ̂ ${r.llc.toFixed(2)} ± ${r.llcSe.toFixed(2)}, ε ${r.settings.stepSize.toPrecision(2)}, below ${r.fractionBelowInit}`);
    assert.ok(!r.settings.metropolis && Number.isNaN(r.diagnostics.acceptance));
    assert.ok(Math.abs(r.llc - 2) < Math.max(0.3, 3 * r.llcSe), `${r.llc}`);
    assert.ok(Math.abs(r.initLoss - g.loss(tree.ref(g.w), tree.ref(g.batch)).item()) < 1e-5, "L_n(w*) over a partition of the rows");
    g.dispose();
  });

  it("reports progress, step by step, to the end", () => {
    const seen: [number, number][] = [];
    llc(quadratic([1]), { w: np.zeros([1]) }, none, { n, chains: 2, draws: 50, burnIn: 20, stepSize: 1e-3, onProgress: (d, total) => seen.push([d, total]) });
    assert.equal(seen.length, 70);
    assert.deepEqual(seen.at(-1), [70, 70]);
    seen.forEach(([d], i) => assert.equal(d, i + 1));
  });
});

describe("llc: the diagnostics say when not to believe it", () => {
  it("a w* that is not a minimum: draws fall below L(w*), the estimate is negative, flagged", () => {
    const shifted = (p: W, _: object) => np.square(p.w.sub(1)).sum(); // minimum at 1, not at w* = 0
    const r = llc(shifted, { w: np.zeros([1]) }, none, { n, chains: 4, draws: 100 });
    assert.ok(r.fractionBelowInit > 0.9 && r.llc < 0 && !r.reliable);
    assert.match(r.warnings.join("\n"), /fell below L\(w\*\): w\* is not a local minimum/);
    assert.match(r.warnings.join("\n"), /negative estimate/);
  });

  it("unadjusted SGLD throws where it diverges, saying where", () => {
    const f = (p: W, _: object) => np.square(p.w).sum().mul(100);
    assert.throws(
      () => llc(f, { w: np.zeros([1]) }, none, { n, stepSize: 0.1, burnIn: 0, draws: 50, metropolis: false }),
      /non-finite value .* in SGLD at step \d+, chain \d \(try a smaller stepSize than 0.1\)$/,
    );
  });

  it("MALA refuses the moves of a far too large step instead of diverging, and says so", () => {
    const f = (p: W, _: object) => np.square(p.w).sum().mul(100);
    const r = llc(f, { w: np.zeros([1]) }, none, { n, stepSize: 0.1, burnIn: 0, draws: 50 });
    assert.ok(r.diagnostics.acceptance < 0.05);
    assert.match(r.warnings.join("\n"), /the chains refused \d+% of their moves: lower the step size/);
  });

  it("split-R̂ and the effective sample size on sequences whose answers are known", () => {
    const rng = new Rng(3);
    const iid = Array.from({ length: 4 }, () => Float64Array.from({ length: 2000 }, () => rng.normal()));
    const ar = Array.from({ length: 4 }, () => {
      const x = new Float64Array(4000);
      for (let i = 1; i < x.length; i++) x[i] = 0.9 * x[i - 1]! + rng.normal();
      return x;
    });
    const drift = iid.map((c) => c.map((x, i) => x + i / 500));
    assert.ok(Math.abs(splitRhat(iid) - 1) < 0.01 && Math.abs(ess(iid) / 8000 - 1) < 0.15, `${splitRhat(iid)} ${ess(iid)}`);
    const want = (16000 * (1 - 0.9)) / (1 + 0.9); // AR(1): τ = (1 + ρ)/(1 − ρ)
    assert.ok(Math.abs(ess(ar) / want - 1) < 0.3, `ESS ${ess(ar)} vs ${want}`);
    assert.ok(splitRhat(drift) > 1.1, `${splitRhat(drift)}`);
  });

  it("the regular reference: exact from the spectrum, else Jensen's bound from the trace", () => {
    const spectrum = Float64Array.from([0, 0.01, 0.1, 1]);
    const c = { params: 4, sharpness: 1, trace: 1.11, traceSe: 0, stiffest: 1 };
    assert.ok(Math.abs(regularReference({ ...c, spectrum }, nBeta, 10).value - exact([0, 0.01, 0.1, 1], 10)) < 1e-12);
    const bound = regularReference(c, nBeta, 10);
    assert.ok(!bound.exact && bound.value >= exact([0, 0.01, 0.1, 1], 10));
  });
});

describe("llcTrajectory", () => {
  it("follows a path from a regular minimum (λ = 1/2) to a quartic one (λ = 1/4), same noise everywhere", (t) => {
    // L(w) = w² (w − 2)⁴ / 16 ≈ w² near 0 and ≈ (w − 2)⁴ / 4 near 2
    const loss = (p: W, _: object) => np.square(p.w.ref).mul(np.square(np.square(p.w.sub(2)))).sum().div(16);
    const cps = [0, 0, 2, 2].map((c) => ({ w: np.array([c]) }));
    const r = llcTrajectory(loss, cps, none, { n, chains: 16, draws: 500 });
    t.diagnostic(`trajectory ${r.llc.map((x) => x.toFixed(3)).join(" ")}; γ ${r.settings.gamma}, ε ${r.settings.stepSize.toPrecision(2)}`);
    assert.equal(r.llc[0], r.llc[1], "common random numbers: same point, same estimate");
    assert.ok(Math.abs(r.llc[0]! - 0.5) < 0.05 && Math.abs(r.llc[3]! - 0.25) < 0.04, `${r.llc}`);
    r.results.forEach((x) => assert.equal(x.settings.stepSize, r.settings.stepSize, "one setting for every checkpoint"));
    tree.dispose(cps);
  });
});
