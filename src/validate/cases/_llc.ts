// What the LLC cases share: one sampling budget for every case (nothing tuned per case, as in
// test/dynamics/llc-known.test.ts), the estimate with the estimator's default settings, and the
// detail line. Internal to cases/.
import { type LlcResult, llc, llcThresholds } from "../../dynamics/index.ts";
import type { Params } from "../../dynamics/index.ts";
import { type Expected, type Tolerance, within } from "../case.ts";
import type { LlcProblem } from "../llc-problems.ts";

export const llcBudget = {
  full: { chains: 16, draws: 800 }, // the known-answer tests' budget (docs/dynamics.md)
  // --quick: the same. The burn-in (up to 2000 steps) costs as much as the draws, so halving them
  // saves a quarter of a second per case, and 8×400 or 16×400 leave λ̂ of the normal crossings
  // 15–25% off the quadrature value (noise, not bias): below what the tolerance can hold.
  quick: { chains: 16, draws: 800 },
};

/** λ̂ of a problem with the default settings and the case's budget; disposes the problem. */
export function measureLlc<P extends Params, B extends Params>(p: LlcProblem<P, B>, quick: boolean): LlcResult {
  try {
    return llc(p.loss, p.params, p.batch, { n: p.n, ...(quick ? llcBudget.quick : llcBudget.full) });
  } finally {
    p.dispose();
  }
}

/** λ̂ within the tolerance, from chains that mixed (split-R̂ within the estimator's own bound, as the tests ask). */
export const llcPass = (r: LlcResult, expected: Expected, tol: Tolerance) => within(r.llc, expected, tol) && r.diagnostics.rhat <= llcThresholds.rhat;

/** The settings and diagnostics behind an estimate, in one line. */
export function llcDetail(r: LlcResult, extra = ""): string {
  const s = r.settings, g = r.diagnostics;
  return [
    extra,
    `${s.chains}×${s.draws} draws, γ ${s.gamma}, ε ${s.stepSize.toPrecision(2)}, burn-in ${s.burnIn}, R̂ ${g.rhat.toFixed(3)}, acceptance ${g.acceptance.toFixed(2)}`,
    r.warnings.length ? `warnings: ${r.warnings.map((w) => w.split(":")[0]).join("; ")}` : "", // each warning's headline
  ].filter(Boolean).join("; ");
}
