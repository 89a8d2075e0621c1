// Curvature of a loss at a point, without ever forming the Hessian: Hessian-vector products by
// forward-over-reverse differentiation, the top eigenvalue by power iteration on them, and the
// trace by Hutchinson's estimator. Sharpness (top eigenvalue) and trace are the usual
// "flat vs sharp valley" proxies of claim 4.
import { tree } from "@jax-js/jax";
import { Rng } from "../util/rng.ts";
import {
  type Loss,
  type Params,
  STREAM,
  assertFinite,
  dot,
  expect,
  flatSpec,
  fromFlat,
  gradOf,
  jitted,
  jvpOf,
  meanStd,
  norm,
  toFlat,
} from "./_tree.ts";

/**
 * Hessian-vector product H(params) v, with H the Hessian of `loss(·, batch)`. Follows jax-js
 * move semantics (consumes params, batch and v), so it composes under `jit` and `vmap`.
 */
export function hvp<P extends Params, B extends Params>(loss: Loss<P, B>, params: P, batch: B, v: P): P {
  // d/dt ∇L(w + t v) at t = 0 is H v: one forward pass through the reverse-mode gradient.
  const [g, hv] = jvpOf((p: P) => gradOf(loss)(p, tree.ref(batch)), params, v);
  tree.dispose(g);
  tree.dispose(batch);
  return hv;
}

/** A compiled HVP on flat vectors that borrows params and batch. Call `dispose` when done. */
function flatHvp<P extends Params, B extends Params>(loss: Loss<P, B>, params: P, batch: B) {
  const spec = flatSpec(params);
  const f = jitted((p: P, b: B, v: P) => hvp(loss, p, b, v));
  return {
    size: spec.size,
    apply: (v: Float32Array) => toFlat(f(tree.ref(params), tree.ref(batch), fromFlat<P>(spec, v))),
    dispose: () => f.dispose(),
  };
}

export interface PowerIterationOptions {
  iters?: number; // maximum number of HVPs
  tol?: number; // stop when the eigenvalue estimate moves by less than tol × |estimate|
  seed?: number; // seed of the random start vector
}

export interface TopEigenvalue {
  eigenvalue: number; // Rayleigh quotient vᵀHv at the last unit vector v
  vector: Float32Array; // that unit vector, flattened in tree.leaves(params) order
  history: number[]; // ‖H v_k‖ at every iteration: converges to |eigenvalue|
  iters: number;
  converged: boolean;
}

/**
 * The Hessian eigenvalue of largest magnitude (signed), by power iteration on HVPs. At a
 * minimum the Hessian is positive semi-definite and this is the sharpness λ_max; near a saddle a
 * large negative eigenvalue can win, which the sign reveals. Borrows params and batch.
 */
export function topEigenvalue<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  params: P,
  batch: B,
  { iters = 100, tol = 1e-5, seed = 0 }: PowerIterationOptions = {},
): TopEigenvalue {
  expect(Number.isInteger(iters) && iters >= 1, "iters: an integer ≥ 1", iters);
  const H = flatHvp(loss, params, batch);
  const rng = new Rng(seed, STREAM.power);
  let v: Float32Array = new Float32Array(H.size);
  rng.fillNormal(v);
  v = scale(v, 1 / norm(v));
  const history: number[] = [];
  let eigenvalue = NaN;
  let converged = false;
  try {
    for (let k = 0; k < iters && !converged; k++) {
      const hv = H.apply(v); // [size]
      const rayleigh = assertFinite(dot(v, hv), `in Hessian power iteration at iteration ${k}`);
      const hvNorm = norm(hv);
      history.push(hvNorm);
      converged = Math.abs(rayleigh - eigenvalue) <= tol * Math.abs(rayleigh) || hvNorm === 0;
      eigenvalue = rayleigh;
      if (hvNorm > 0) v = scale(hv, 1 / hvNorm);
    }
  } finally {
    H.dispose();
  }
  return { eigenvalue, vector: v, history, iters: history.length, converged };
}

export interface HutchinsonOptions {
  samples?: number; // number of Rademacher probes
  seed?: number;
}

export interface TraceEstimate {
  mean: number; // estimate of tr(H)
  stderr: number; // standard error of that mean over probes
  samples: number[]; // zᵀHz for each probe
}

/**
 * Hutchinson's estimator tr(H) ≈ mean over Rademacher z of zᵀHz. Rademacher probes have the
 * least variance of all unbiased probes (2 Σ_{i≠j} H_ij²), and none on a diagonal Hessian.
 * Borrows params and batch.
 */
export function hutchinsonTrace<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  params: P,
  batch: B,
  { samples = 32, seed = 0 }: HutchinsonOptions = {},
): TraceEstimate {
  expect(Number.isInteger(samples) && samples >= 2, "samples: an integer ≥ 2", samples);
  const H = flatHvp(loss, params, batch);
  const rng = new Rng(seed, STREAM.probe);
  const draws: number[] = [];
  try {
    const z = new Float32Array(H.size);
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < z.length; i++) z[i] = rng.nextU32() & 1 ? 1 : -1;
      draws.push(assertFinite(dot(z, H.apply(z)), `in Hutchinson probe ${s}`));
    }
  } finally {
    H.dispose();
  }
  const { mean, std } = meanStd(draws);
  return { mean, stderr: std / Math.sqrt(samples), samples: draws };
}

function scale(a: Float32Array, c: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * c;
  return out;
}
