// The LLC of the normal crossing y = x ∏ w_i^{k_i} + noise at the truth w = 0: λ = 1/(2 max k)
// as n → ∞ (Watanabe 2009, resolution of singularities), and at n = 1000 the finite-n value that
// λ̂ estimates, E[nβ (L_n(w) − L_n(0))] under the localised tempered posterior, by quadrature on
// this dataset (llc-answers.ts).
import { llcSettingDefaults } from "../../dynamics/index.ts";
import { defineCase } from "../case.ts";
import { crossingTarget } from "../llc-answers.ts";
import { crossingData, normalCrossing } from "../llc-problems.ts";
import { llcDetail, llcPass, measureLlc } from "./_llc.ts";

export function llcCrossingCase(ks: readonly number[], seed = 2024) {
  const tolerance = { rel: 0.15 }; // the known-answer tests' band; the bias of 16×800 draws is 0–8%
  const n = 1000, nBeta = n / Math.log(n); // the estimator's default temperature
  const { sxx, sxy } = crossingData({ n, seed });
  const target = (gamma: number) => crossingTarget(ks, sxx, sxy, gamma, nBeta);
  const expected = target(llcSettingDefaults.gamma); // at the default γ (full-batch chains keep it)
  const asymptote = 1 / (2 * Math.max(...ks));
  return defineCase({
    name: `llc/crossing-k${ks.join("-")}`,
    source: "Watanabe 2009: 1/(2 max k), n = 1000 by quadrature",
    expected,
    tolerance,
    run: ({ quick }) => {
      const r = measureLlc(normalCrossing(ks, { n, seed }), quick);
      const raised = r.settings.gamma !== llcSettingDefaults.gamma; // then the target moves with γ
      const want = raised ? target(r.settings.gamma) : expected;
      return {
        measured: r.llc, spread: r.llcSe, ...(raised && { expected: want }),
        pass: llcPass(r, want, tolerance),
        detail: llcDetail(r, `k = (${ks.join(", ")}): asymptote ${asymptote.toFixed(4)}, at n = ${n} ${want.toFixed(4)} (quadrature)`),
      };
    },
  });
}
