// The LLC of reduced-rank regression y = B A x (M inputs, N outputs, H hidden units) at a true
// map of rank r: Aoyagi & Watanabe's closed form (2005), below the regular d/2 = H(M + N)/2.
import { defineCase } from "../case.ts";
import { aoyagi } from "../llc-answers.ts";
import { reducedRank } from "../llc-problems.ts";
import { llcDetail, llcPass, measureLlc } from "./_llc.ts";

export function llcRrrCase(M: number, N: number, H: number, r: number, seed = 2024) {
  const tolerance = { rel: 0.15 }; // the known-answer tests' band (multiplicity 2 pulls λ̂ ~8% low at n = 1000)
  const { lambda, m } = aoyagi(M, N, H, r);
  return defineCase({
    name: `llc/rrr-${M}-${N}-${H}-${r}`,
    source: "Aoyagi & Watanabe 2005, Main Theorem",
    expected: lambda,
    tolerance,
    run: ({ quick }) => {
      const res = measureLlc(reducedRank(M, N, H, r, { seed }), quick);
      return {
        measured: res.llc, spread: res.llcSe, pass: llcPass(res, lambda, tolerance),
        detail: llcDetail(res, `M ${M}, N ${N}, H ${H}, rank ${r}: λ = ${lambda} (multiplicity ${m}), d/2 = ${(H * (M + N)) / 2}`),
      };
    },
  });
}
