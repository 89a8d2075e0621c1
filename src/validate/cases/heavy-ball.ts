// The stability threshold of heavy-ball momentum (Polyak 1964): on a quadratic with curvature λ,
// m ← β m + λ x, x ← x − η m converges iff 0 < ηλ < 2(1 + β), for 0 ≤ β < 1 (the characteristic
// roots of z² − (1 + β − ηλ) z + β leave the unit circle through z = −1 there; Goh 2017, "Why
// momentum really works"). Measured with ecotone's own optimiser (`fit`, "momentum"): one run on
// a vector of independent 1-D quadratics, x_i with curvature λ_i = c_i/η over a grid of ηλ
// around the threshold; the threshold found is the middle of the gap between the last grid
// point that converged and the first that diverged.
import { numpy as np } from "@jax-js/jax";
import { fit } from "../../train/fit.ts";
import { defineCase, within } from "../case.ts";

const heavyBallDefaults = {
  lr: 0.05, // η; the curvatures λ_i = c_i / η then run from 32 to 48 at β = 0, from 61 to 91 at β = 0.9
  span: 0.2, // the grid of ηλ covers the threshold × (1 ± span)
  points: 161, // grid points (a step of 0.25% of the threshold)
  steps: 2000, // enough to tell |z| = 1 − 0.25%·thr/(1 − β) from 1 (e^−10 at β = 0)
  quickSteps: 600, // --quick
  // Below the threshold, β near 1 leaves a pair of roots of modulus √β near −1, nearly double:
  // x_t ~ t (√β)^t, which drops below x_0 only after ~ln(1/(1 − √β)) + 2 e-folds, so at least
  // this many times 1/(1 − √β) steps (2,400 at β = 0.99, 24,000 at 0.999)
  efolds: 12,
};

export function heavyBallCase(beta: number, o: Partial<typeof heavyBallDefaults> = {}) {
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`heavy-ball: expected a momentum 0 ≤ β < 1 (where the threshold holds), got ${beta}`);
  const D = { ...heavyBallDefaults, ...o };
  const threshold = 2 * (1 + beta);
  const step = (2 * D.span * threshold) / (D.points - 1);
  const tolerance = { rel: 0.01 };
  return defineCase({
    name: `heavy-ball/beta-${beta}`,
    source: "Polyak 1964: stable iff ηλ < 2(1 + β)",
    expected: threshold,
    tolerance,
    run: ({ quick }) => {
      // grid points halfway between the steps, so none sits exactly on the threshold
      const c = Float32Array.from({ length: D.points }, (_, i) => threshold * (1 - D.span) + (i + 0.5) * step); // [points] = η λ_i
      const lam = c.map((v) => v / D.lr); // [points]
      const steps = Math.max(quick ? D.quickSteps : D.steps, Math.ceil(D.efolds / (1 - Math.sqrt(beta))));
      const { params } = fit({
        params: { x: np.ones([D.points]) }, // x_i(0) = 1
        loss: (p: { x: np.Array }, b: { lam: np.Array }) => np.square(p.x).mul(b.lam).sum().mul(0.5), // Σ ½ λ_i x_i²
        batch: () => ({ lam: np.array(lam) }),
        steps,
        optimizer: { optimizer: "momentum", lr: D.lr, momentum: beta, weightDecay: 0 },
      });
      const x = params.x.dataSync() as Float32Array; // [points] (reading consumes the array)
      const converged = Array.from(x, (v) => Number.isFinite(v) && Math.abs(v) < 1);
      const first = converged.indexOf(false); // the first grid point that did not converge
      const last = first === -1 ? D.points - 1 : first - 1;
      const monotone = first !== -1 && first > 0 && converged.slice(first).every((v) => !v);
      const found = monotone ? (c[last]! + c[first]!) / 2 : NaN;
      return {
        measured: found, spread: step / 2,
        pass: monotone && within(found, threshold, tolerance),
        detail: `${steps} steps of momentum SGD (η ${D.lr}, β ${beta}) on ${D.points} quadratics, ηλ from ${c[0]!.toFixed(3)} to ${c[D.points - 1]!.toFixed(3)} (λ ${lam[0]!.toFixed(1)} to ${lam[D.points - 1]!.toFixed(1)}): ` +
          (monotone ? `converged up to ηλ = ${c[last]!.toFixed(4)}, diverged from ${c[first]!.toFixed(4)} on` : `not a single switch from converging to diverging (${converged.filter(Boolean).length} of ${D.points} converged)`),
      };
    },
  });
}
