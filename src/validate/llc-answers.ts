// Learning coefficients known without sampling, the answers `llc` is checked against:
//   - the normal-crossing family K(w) ∝ (∏ w_i^{k_i})², whose λ = 1/(2 max k), at finite n by
//     quadrature of the localised tempered posterior (what λ̂ estimates at n = 1000, not the asymptote);
//   - reduced-rank regression, λ by Aoyagi & Watanabe's closed form (2005).
// Plain numbers only: no jax-js here (the models are in llc-problems.ts).

/**
 * The normal crossing's finite-n learning coefficient E[nβ (L_n(w) − L_n(0))] under the localised
 * tempered posterior ∝ exp(−nβ (L_n(w) − L_n(0)) − γ/2 ‖w‖²), where for y = x f(w) + noise with
 * f = ∏ w_i^{k_i} (one or two factors), L_n(w) − L_n(0) = ½ Sxx f² − Sxy f (Sxx = mean x²,
 * Sxy = mean x y). At n = 1000 it differs from the asymptote 1/(2 max k): the data's own noise
 * puts the minimum of L_n off 0, and multiplicity pulls it down by ~1/log nβ.
 * Trapezoid rule on grids w = s·sinh(u), dense near 0 at the scale s where the loss starts to
 * hold, out to 10/√γ.
 */
export function crossingTarget(ks: readonly number[], sxx: number, sxy: number, gamma: number, nBeta: number): number {
  if (ks.length < 1 || ks.length > 2 || !ks.every((k) => Number.isInteger(k) && k >= 1))
    throw new RangeError(`crossingTarget: expected one or two positive integer powers, got (${ks.join(", ")})`);
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

/**
 * The learning coefficient λ of reduced-rank regression y = B A x (A: H×M, B: N×H; M inputs, N
 * outputs) at a true map of rank r, and its multiplicity m: Aoyagi & Watanabe (2005), "Stochastic
 * complexities of reduced rank regression in Bayesian estimation", Neural Networks 18(7):924–933,
 * Main Theorem.
 */
export function aoyagi(M: number, N: number, H: number, r: number): { lambda: number; m: number } {
  if (![M, N, H].every((x) => Number.isInteger(x) && x >= 1) || !Number.isInteger(r) || r < 0 || r > Math.min(M, N, H))
    throw new RangeError(`aoyagi: expected positive integers M, N, H and a rank 0 ≤ r ≤ min(M, N, H), got M ${M}, N ${N}, H ${H}, r ${r}`);
  if (N + r <= M + H && M + r <= N + H && H + r <= M + N) {
    const q = 2 * (H + r) * (M + N) - (M - N) ** 2 - (H + r) ** 2;
    return (M + N + H + r) % 2 === 0 ? { lambda: q / 8, m: 1 } : { lambda: (q + 1) / 8, m: 2 };
  }
  if (M + H < N + r) return { lambda: (H * M - H * r + N * r) / 2, m: 1 };
  if (N + H < M + r) return { lambda: (H * N - H * r + M * r) / 2, m: 1 };
  return { lambda: (M * N) / 2, m: 1 }; // M + N < H + r
}
