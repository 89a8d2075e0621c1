// Functional distance between two models on shared inputs (claim 5: "distance between models is
// measured by the KL divergence of their outputs on shared inputs"): both KL directions, the
// Jensen–Shannon divergence (symmetric and bounded, so it averages well over inputs), and how
// often the greedy answers agree. Works on any pair of user models with the same output classes.
import { nn, numpy as np, tree } from "@jax-js/jax";
import { meanJs } from "../metrics/divergence.ts";
import { type Params, assertFinite } from "./_tree.ts";
import { type BoundModel, klRows } from "./disagreement.ts";

export interface OutputDistance {
  kl12: number; // mean over rows of KL(p1 ‖ p2), nats
  kl21: number; // mean over rows of KL(p2 ‖ p1), nats
  js: number; // mean over rows of JS(p1, p2), bits, in [0, 1]
  agreement: number; // fraction of rows on which argmax p1 = argmax p2
  n: number; // rows
}

/** Distance between the output distributions of two models on the rows of x [n, ...]. Borrows everything. */
export function outputDistance<P1 extends Params, P2 extends Params>(
  m1: BoundModel<P1>,
  m2: BoundModel<P2>,
  x: np.Array,
): OutputDistance {
  const l1 = m1.f(tree.ref(m1.params), x.ref); // [n, C]
  const l2 = m2.f(tree.ref(m2.params), x.ref); // [n, C]
  const n = l1.shape[0]!;
  const agree = np.equal(np.argmax(l1.ref, -1), np.argmax(l2.ref, -1)).astype(np.float32).mean().item();
  const kl12 = klRows(l1.ref, l2.ref).mean().item();
  const kl21 = klRows(l2.ref, l1.ref).mean().item();
  // JS in float64 on the JS side: in float32 two identical rows leave ~1e-5 bits of rounding
  const C = l1.shape[1]!;
  const js = meanJs(nn.softmax(l1, -1).dataSync(), nn.softmax(l2, -1).dataSync(), C);
  return {
    kl12: assertFinite(kl12, "as KL(p1 ‖ p2) in outputDistance"),
    kl21: assertFinite(kl21, "as KL(p2 ‖ p1) in outputDistance"),
    js: assertFinite(js, "as JS in outputDistance"),
    agreement: agree,
    n,
  };
}
