// The LLC of a regular model: linear regression with d parameters at its least-squares fit has
// λ = d/2 (Watanabe 2009: every regular model's learning coefficient is half its dimension).
import { defineCase } from "../case.ts";
import { linearRegression } from "../llc-problems.ts";
import { llcDetail, llcPass, measureLlc } from "./_llc.ts";

export function llcLinearCase(d: number, seed = 2024) {
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`linear regression: expected d ≥ 1 parameters, got ${d}`);
  const tolerance = { rel: 0.05 }; // a regular model at n = 1000, γ = 1 lands within 1% (the γ pull is ≈ 0.7%)
  return defineCase({
    name: `llc/linear-d${d}`,
    source: "Watanabe 2009: regular, λ = d/2",
    expected: d / 2,
    tolerance,
    run: ({ quick }) => {
      const r = measureLlc(linearRegression(d, { seed }), quick);
      return {
        measured: r.llc, spread: r.llcSe, pass: llcPass(r, d / 2, tolerance),
        detail: llcDetail(r, `n = 1000, d = ${d}; regular reference ${r.diagnostics.regularReference.toFixed(3)}`),
      };
    },
  });
}
