// Optimisers as pure functions on parameter trees (any pytree of arrays: any model), so the update fuses into the jitted step.
// Weight decay is decoupled (AdamW-style, Loshchilov & Hutter 2019) for every optimiser, and so is
// the pull toward the initial weights (L2 Init, Kumar et al. 2023), which keeps them in the state.
import { numpy as np, tree } from "@jax-js/jax";

export type OptimizerKind = "sgd" | "momentum" | "adam";
export interface OptimConfig {
  optimizer: OptimizerKind;
  lr: number;
  momentum: number; // momentum coefficient (momentum SGD) or β1 (Adam)
  beta2: number;
  eps: number;
  weightDecay: number;
  l2Init?: number; // pull toward the initial weights per step, as a fraction of lr (0 or absent: off)
}
export type OptState<P = any> = { m?: P; v?: P; init?: P }; // first and second moments, and the initial weights (l2Init), shaped like the parameters

export function initOptState<P>(c: OptimConfig, p: P): OptState<P> {
  const zeros = (): P => tree.map((x: np.Array) => np.zerosLike(x), tree.ref(p as any)) as P;
  const init = (c.l2Init ?? 0) > 0 ? { init: tree.ref(p as any) as P } : {}; // arrays are immutable: a reference is a copy
  if (c.optimizer === "sgd") return { ...init };
  if (c.optimizer === "momentum") return { m: zeros(), ...init };
  return { m: zeros(), v: zeros(), ...init };
}

/**
 * One update. Consumes p, g, s; t is the 1-based step count ([] scalar array). With l2Init = λ each
 * weight then moves back toward its initial value by lr·λ·(x − x₀), decoupled like weight decay
 * (with SGD: the gradient of (λ/2)‖x − x₀‖² added to the loss).
 */
export function update<P>(c: OptimConfig, params: P, grads: P, state: OptState<P>, t: np.Array): [P, OptState<P>] {
  const l2 = c.l2Init ?? 0, init = (state as OptState).init;
  if (!(l2 > 0)) return step(c, params, grads, state, t);
  if (!init) throw new Error(`optimiser: l2Init ${l2} needs the initial weights in the state (initOptState with the same config)`);
  const before = tree.ref(params as any);
  const [next, s] = step(c, params, grads, { ...state, init: undefined }, t);
  const pulled = tree.map((y: np.Array, x: np.Array, x0: np.Array) => y.sub(x.sub(x0).mul(c.lr * l2)), next as any, before, tree.ref(init as any)) as P;
  return [pulled, { ...s, init }];
}

function step<P>(c: OptimConfig, params: P, grads: P, state: OptState<P>, t: np.Array): [P, OptState<P>] {
  const [p, g, s] = [params as any, grads as any, state as OptState<any>]; // any pytree of arrays
  const { lr, momentum: b1, beta2: b2, eps, weightDecay: wd } = c;
  const decay = (x: np.Array) => (wd > 0 ? x.mul(1 - lr * wd) : x);
  if (c.optimizer === "sgd") {
    t.dispose();
    return [tree.map((x: np.Array, d: np.Array) => decay(x).sub(d.mul(lr)), p, g) as P, {}];
  }
  if (c.optimizer === "momentum") {
    t.dispose();
    const m = tree.map((mm: np.Array, d: np.Array) => mm.mul(b1).add(d), s.m!, g) as P;
    return [tree.map((x: np.Array, mm: np.Array) => decay(x).sub(mm.mul(lr)), p, tree.ref(m)) as P, { m }];
  }
  const m = tree.map((mm: np.Array, d: np.Array) => mm.mul(b1).add(d.mul(1 - b1)), s.m!, tree.ref(g)) as P;
  const v = tree.map((vv: np.Array, d: np.Array) => vv.mul(b2).add(d.ref.mul(d).mul(1 - b2)), s.v!, g) as P;
  const bc1 = np.power(b1, t.ref).neg().add(1), bc2 = np.power(b2, t).neg().add(1); // bias corrections
  const next = tree.map(
    (x: np.Array, mm: np.Array, vv: np.Array) => decay(x).sub(mm.div(bc1.ref).mul(lr).div(np.sqrt(vv.div(bc2.ref)).add(eps))),
    p, tree.ref(m), tree.ref(v),
  ) as P;
  bc1.dispose();
  bc2.dispose();
  return [next, { m, v }];
}
