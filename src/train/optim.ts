// Optimisers as pure functions on parameter trees (any pytree of arrays: any model), so the update fuses into the jitted step.
// Weight decay is decoupled (AdamW-style, Loshchilov & Hutter 2019) for every optimiser.
import { numpy as np, tree } from "@jax-js/jax";

export type OptimizerKind = "sgd" | "momentum" | "adam";
export interface OptimConfig {
  optimizer: OptimizerKind;
  lr: number;
  momentum: number; // momentum coefficient (momentum SGD) or β1 (Adam)
  beta2: number;
  eps: number;
  weightDecay: number;
}
export type OptState<P = any> = { m?: P; v?: P }; // first and second moments, shaped like the parameters

export function initOptState<P>(c: OptimConfig, p: P): OptState<P> {
  const zeros = (): P => tree.map((x: np.Array) => np.zerosLike(x), tree.ref(p as any)) as P;
  if (c.optimizer === "sgd") return {};
  if (c.optimizer === "momentum") return { m: zeros() };
  return { m: zeros(), v: zeros() };
}

/** One update. Consumes p, g, s; t is the 1-based step count ([] scalar array). */
export function update<P>(c: OptimConfig, params: P, grads: P, state: OptState<P>, t: np.Array): [P, OptState<P>] {
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
