// The LLC against answers known without sampling, with the default settings (nothing tuned per
// case; only the number of chains and draws, one budget for all):
//   - linear regression with d parameters: λ = d/2;
//   - the normal-crossing family y = x ∏ w_i^{k_i} + noise at the true parameter 0, λ = 1/(2 max k),
//     against the finite-n value: E[nβ (L_n(w) − L_n(0))] under the localised tempered posterior,
//     by 1-D or 2-D quadrature here (at n = 1000 it differs from the asymptote: the data's own
//     noise puts the minimum of L_n off 0, and multiplicity pulls it down by ~1/log nβ);
//   - reduced-rank regression, λ by Aoyagi & Watanabe's closed form (2005).
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np, tree } from "@jax-js/jax";
import { llc } from "../../src/dynamics/index.ts";
import { Rng } from "../../src/util/rng.ts";

before(async () => {
  await init("wasm");
});

const n = 1000;
const nBeta = n / Math.log(n); // the default temperature
const BUDGET = { chains: 16, draws: 800 }; // the same for every case
const near = (got: number, want: number, rel: number, what: string) =>
  assert.ok(Math.abs(got - want) <= rel * Math.abs(want), `${what}: λ̂ = ${got.toFixed(4)}, want ${want.toFixed(4)} ± ${100 * rel}%`);

describe("regular linear regression: λ = d/2", () => {
  for (const d of [2, 4, 8])
    it(`d = ${d}`, (t) => {
      const rng = new Rng(5, d);
      const X = Float32Array.from({ length: n * d }, () => rng.normal()); // [n, d]
      const Y = Float32Array.from({ length: n }, (_, i) => X[i * d]! - 0.5 * X[i * d + d - 1]! + rng.normal()); // [n]
      const batch = { x: np.array(X, { shape: [n, d] }), y: np.array(Y) };
      // L_n = mean ½ (y − x·w)², the Gaussian NLL up to a constant; w* = the least-squares fit
      const loss = (p: { w: np.Array }, b: typeof batch) => np.square(np.matmul(b.x, p.w).sub(b.y)).mean().mul(0.5);
      const w = { w: np.linalg.lstsq(batch.x.ref, batch.y.ref.reshape([n, 1])).reshape([d]) };
      const r = llc(loss, w, batch, { n, ...BUDGET });
      t.diagnostic(`λ̂ = ${r.llc.toFixed(3)} ± ${r.llcSe.toFixed(3)} (want ${d / 2}; regular reference ${r.diagnostics.regularReference.toFixed(3)}), γ ${r.settings.gamma}, ε ${r.settings.stepSize.toPrecision(2)}, R̂ ${r.diagnostics.rhat.toFixed(3)}`);
      near(r.llc, d / 2, 0.1, `d = ${d}`);
      assert.ok(r.reliable, r.warnings.join("; "));
      assert.equal(r.diagnostics.fractionBelowInit, 0, "w* is the minimum of a quadratic");
      tree.dispose([batch, w]);
    });
});

/**
 * E[nβ (L_n(w) − L_n(0))] under ∝ exp(−nβ (L_n(w) − L_n(0)) − γ/2 ‖w‖²), where
 * L_n(w) − L_n(0) = ½ Sxx f² − Sxy f, f = ∏ w_i^{k_i} (one or two factors). Trapezoid rule on grids
 * w = s·sinh(u), dense near 0 at the scale s where the loss starts to hold, out to 10/√γ.
 */
function tempered(ks: number[], sxx: number, sxy: number, gamma: number): number {
  const R = 10 / Math.sqrt(gamma);
  const grid = (s: number, m: number) => {
    const top = Math.asinh(R / s), du = (2 * top) / (m - 1);
    return Array.from({ length: m }, (_, i) => ({ w: s * Math.sinh(-top + i * du), dw: s * Math.cosh(-top + i * du) * du }));
  };
  const scale = (c: number, k: number) => Math.min(1 / Math.sqrt(gamma), c > 0 ? c ** (-1 / (2 * k)) : Infinity) / 4;
  const E = (f: number) => nBeta * (0.5 * sxx * f * f - sxy * f);
  const floor = (-nBeta * sxy * sxy) / (2 * sxx); // the least E can be: keeps exp() in range
  let z = 0, m = 0;
  const add = (e: number, prior: number, dw: number) => {
    const p = Math.exp(-(e - floor) - prior) * dw;
    z += p;
    m += p * e;
  };
  const [k1, k2] = ks as [number, number | undefined];
  for (const a of grid(scale(nBeta * sxx, k1), k2 === undefined ? 4000 : 1500)) {
    if (k2 === undefined) add(E(a.w ** k1), (gamma * a.w * a.w) / 2, a.dw);
    else for (const b of grid(scale(nBeta * sxx * a.w ** (2 * k1), k2), 800)) add(E(a.w ** k1 * b.w ** k2), (gamma * (a.w * a.w + b.w * b.w)) / 2, a.dw * b.dw);
  }
  return m / z;
}

describe("normal crossing y = x ∏ w_i^k_i + noise at w = 0: λ = 1/(2 max k), at n = 1000 the quadrature value", () => {
  // the data: x and the noise standard normal, so the truth is w = 0 (y = noise)
  const rng = new Rng(7);
  const X = Float32Array.from({ length: n }, () => rng.normal());
  const Y = Float32Array.from({ length: n }, () => rng.normal());
  const sxx = X.reduce((s, x) => s + x * x, 0) / n, sxy = X.reduce((s, x, i) => s + x * Y[i]!, 0) / n;
  for (const ks of [[1], [2], [3], [1, 1], [1, 2], [2, 2]])
    it(`k = (${ks.join(", ")}): λ = ${(1 / (2 * Math.max(...ks))).toFixed(3)}`, (t) => {
      const batch = { x: np.array(X), y: np.array(Y) };
      const loss = (p: { w: np.Array }, b: typeof batch) => {
        let f = np.ones([]);
        ks.forEach((k, i) => {
          for (let j = 0; j < k; j++) f = f.mul(p.w.ref.slice(i));
        });
        p.w.dispose();
        return np.square(b.y.sub(b.x.mul(f))).mean().mul(0.5);
      };
      const w = { w: np.zeros([ks.length]) };
      const r = llc(loss, w, batch, { n, ...BUDGET });
      const want = tempered(ks, sxx, sxy, r.settings.gamma);
      const weaker = tempered(ks, sxx, sxy, r.settings.gamma / 10);
      t.diagnostic(`λ̂ = ${r.llc.toFixed(4)} ± ${r.llcSe.toFixed(4)}, quadrature ${want.toFixed(4)} (at γ/10: ${weaker.toFixed(4)}), asymptote ${(1 / (2 * Math.max(...ks))).toFixed(4)}; γ ${r.settings.gamma}, ε ${r.settings.stepSize.toPrecision(2)}, burn-in ${r.settings.burnIn}, acceptance ${r.diagnostics.acceptance.toFixed(2)}, R̂ ${r.diagnostics.rhat.toFixed(3)}`);
      near(r.llc, want, 0.15, `k = ${ks}`);
      assert.ok(r.diagnostics.rhat < 1.1);
      // what the localisation still takes: a tenth of γ would raise the target by at most a quarter
      // (1-D: a few %; two factors: 15–25%, the slow 1/log(nβ/γ) approach of singular models)
      assert.ok(want >= 0.75 * weaker, `target ${want} at γ, ${weaker} at γ/10`);
      tree.dispose([batch, w]);
    });
});

/**
 * The learning coefficient λ of reduced-rank regression y = B A x (A: H×M, B: N×H; M inputs, N
 * outputs) at a true map of rank r, and its multiplicity m: Aoyagi & Watanabe (2005), "Stochastic
 * complexities of reduced rank regression in Bayesian estimation", Neural Networks 18(7):924–933,
 * Main Theorem.
 */
export function aoyagi(M: number, N: number, H: number, r: number): { lambda: number; m: number } {
  if (N + r <= M + H && M + r <= N + H && H + r <= M + N) {
    const q = 2 * (H + r) * (M + N) - (M - N) ** 2 - (H + r) ** 2;
    return (M + N + H + r) % 2 === 0 ? { lambda: q / 8, m: 1 } : { lambda: (q + 1) / 8, m: 2 };
  }
  if (M + H < N + r) return { lambda: (H * M - H * r + N * r) / 2, m: 1 };
  if (N + H < M + r) return { lambda: (H * N - H * r + M * r) / 2, m: 1 };
  return { lambda: (M * N) / 2, m: 1 }; // M + N < H + r
}

describe("reduced-rank regression: λ by Aoyagi & Watanabe (2005)", () => {
  it("the closed form: a regular full-rank model, the product model ab, rank-1 of a 3×2 map", () => {
    assert.deepEqual(aoyagi(2, 2, 2, 2), { lambda: 2, m: 1 }); // BA over invertible 2×2: dim 4, λ = 4/2
    assert.deepEqual(aoyagi(1, 1, 1, 0), { lambda: 0.5, m: 2 }); // K = (ab)²: λ = 1/2 with multiplicity 2
    assert.deepEqual(aoyagi(3, 2, 1, 1), { lambda: 2, m: 1 }); // rank-1 2×3 maps: dim 4
    assert.deepEqual(aoyagi(4, 8, 3, 0), { lambda: 6, m: 1 }); // devinterp's case 2 (4, 3, 8)
  });

  // K(w) = ½ ‖BA − T‖²_F: the population loss for whitened inputs and unit noise, so w* = the true
  // parameter is an exact minimum and nothing but the temperature separates λ̂ from λ
  for (const [M, N, H, r] of [[4, 2, 1, 0], [2, 2, 2, 0], [3, 2, 2, 1], [3, 3, 3, 1]] as const)
    it(`M = ${M}, N = ${N}, H = ${H}, rank ${r}: λ = ${aoyagi(M, N, H, r).lambda} (d/2 = ${(H * (M + N)) / 2})`, (t) => {
      const rng = new Rng(11, M, N, H, r);
      const A = new Float32Array(H * M), B = new Float32Array(N * H); // the truth: rank r, extra units zero
      for (let i = 0; i < r; i++) for (let j = 0; j < M; j++) A[i * M + j] = rng.normal();
      for (let i = 0; i < N; i++) for (let j = 0; j < r; j++) B[i * H + j] = rng.normal();
      const w = { a: np.array(A, { shape: [H, M] }), b: np.array(B, { shape: [N, H] }) };
      const T = np.matmul(w.b.ref, w.a.ref); // [N, M]
      const loss = (p: typeof w, _: object) => np.square(np.matmul(p.b, p.a).sub(T.ref)).sum().mul(0.5);
      const r_ = llc(loss, w, {}, { n, ...BUDGET });
      const want = aoyagi(M, N, H, r).lambda;
      t.diagnostic(`λ̂ = ${r_.llc.toFixed(3)} ± ${r_.llcSe.toFixed(3)}, λ = ${want}; regular reference ${r_.diagnostics.regularReference.toFixed(2)}, R̂ ${r_.diagnostics.rhat.toFixed(3)}`);
      near(r_.llc, want, 0.15, `(${M}, ${N}, ${H}, ${r})`);
      tree.dispose([w, T]);
    });
});
