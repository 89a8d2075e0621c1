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

/**
 * A step's scheduled values as [] scalar arrays, inputs of the jitted step so that one compiled
 * program serves every step. Empty: the config's constant lr and no clipping (the program is then
 * the one traced before schedules existed, so default runs keep their bits). Build with stepInputs.
 */
export type StepInputs = {
  lr?: np.Array; // this step's learning rate
  decay?: np.Array; // 1 − lr·weightDecay, rounded once in float64 as the constant path does
  pull?: np.Array; // lr·l2Init
  clip?: np.Array; // global-norm threshold of the gradient (per seed); NO_CLIP: none this step
};

/** The arrays of one step's `lr` and clip threshold (clip undefined: clipping not compiled in). */
export function stepInputs(c: OptimConfig, lr: number, clip?: number): StepInputs {
  const h: StepInputs = { lr: np.array(lr) };
  if (c.weightDecay > 0) h.decay = np.array(1 - lr * c.weightDecay);
  if ((c.l2Init ?? 0) > 0) h.pull = np.array(lr * c.l2Init!);
  if (clip !== undefined) h.clip = np.array(clip > 0 ? clip : NO_CLIP);
  return h;
}
const NO_CLIP = 3e38; // about f32's largest: min(1, clip/‖g‖) is 1 for any norm short of it

/**
 * Rescales `grads` so that their global L2 norm is at most `clip` ([] array): g·min(1, clip/‖g‖),
 * exactly g when ‖g‖ ≤ clip. With `perSeed`, every leaf is [S, ...] and each seed is clipped by its
 * own norm (the seeds are independent models); otherwise the whole tree is one model. Consumes both.
 */
export function clipByGlobalNorm<P>(grads: P, clip: np.Array, perSeed: boolean): P {
  const leaves = tree.leaves(tree.ref(grads as any)) as np.Array[];
  let sq: np.Array | undefined; // [S] (perSeed) or []
  for (const g of leaves) {
    const axes = perSeed ? Array.from({ length: g.ndim - 1 }, (_, i) => i + 1) : null;
    const s2 = perSeed && g.ndim === 1 ? g.ref.mul(g) : g.ref.mul(g).sum(axes);
    sq = sq ? sq.add(s2) : s2;
  }
  if (!sq) { clip.dispose(); return grads; }
  const scale = np.minimum(clip.div(np.sqrt(sq)), 1); // [S] or []: exactly 1 at or under the threshold (also for a zero gradient: clip/0 = ∞)
  const out = tree.map((g: np.Array) => g.mul(perSeed ? scale.ref.reshape([-1, ...Array(g.ndim - 1).fill(1)]) : scale.ref), grads as any) as P;
  scale.dispose();
  return out;
}

export function initOptState<P>(c: OptimConfig, p: P): OptState<P> {
  const zeros = (): P => tree.map((x: np.Array) => np.zerosLike(x), tree.ref(p as any)) as P;
  const init = (c.l2Init ?? 0) > 0 ? { init: tree.ref(p as any) as P } : {}; // arrays are immutable: a reference is a copy
  if (c.optimizer === "sgd") return { ...init };
  if (c.optimizer === "momentum") return { m: zeros(), ...init };
  return { m: zeros(), v: zeros(), ...init };
}

/** A scalar of the update: a constant of the program, or an input array (used through a new reference). */
type Scalar = number | np.Array;
const use = (v: Scalar): Scalar => (typeof v === "number" ? v : v.ref);

/**
 * One update. Consumes p, g, s, t and h; t is the 1-based step count ([] scalar array), h this
 * step's scheduled lr and clip threshold (stepInputs; empty: the config's constants). With
 * l2Init = λ each weight then moves back toward its initial value by lr·λ·(x − x₀), decoupled like
 * weight decay (with SGD: the gradient of (λ/2)‖x − x₀‖² added to the loss). With h.clip, the
 * gradient is first clipped by its global norm, per seed when `perSeed` (leaves [S, ...]).
 */
export function update<P>(c: OptimConfig, params: P, grads: P, state: OptState<P>, t: np.Array, h: StepInputs = {}, perSeed = true): [P, OptState<P>] {
  const { clip, ...rest } = h;
  if (clip) grads = clipByGlobalNorm(grads, clip, perSeed);
  const l2 = c.l2Init ?? 0, init = (state as OptState).init;
  if (!(l2 > 0)) return step(c, params, grads, state, t, rest);
  if (!init) throw new Error(`optimiser: l2Init ${l2} needs the initial weights in the state (initOptState with the same config)`);
  const before = tree.ref(params as any);
  const { pull: pullArr, ...forStep } = rest;
  const pull: Scalar = pullArr ?? c.lr * l2;
  const [next, s] = step(c, params, grads, { ...state, init: undefined }, t, forStep);
  const pulled = tree.map((y: np.Array, x: np.Array, x0: np.Array) => y.sub(x.sub(x0).mul(use(pull))), next as any, before, tree.ref(init as any)) as P;
  if (typeof pull !== "number") pull.dispose();
  return [pulled, { ...s, init }];
}

function step<P>(c: OptimConfig, params: P, grads: P, state: OptState<P>, t: np.Array, h: StepInputs): [P, OptState<P>] {
  const [p, g, s] = [params as any, grads as any, state as OptState<any>]; // any pytree of arrays
  const { momentum: b1, beta2: b2, eps, weightDecay: wd } = c;
  const lr: Scalar = h.lr ?? c.lr, decayBy: Scalar = h.decay ?? 1 - c.lr * wd;
  const done = () => { for (const a of [h.lr, h.decay, h.pull, h.clip]) a?.dispose(); };
  const decay = (x: np.Array) => (wd > 0 ? x.mul(use(decayBy)) : x);
  if (c.optimizer === "sgd") {
    t.dispose();
    const next = tree.map((x: np.Array, d: np.Array) => decay(x).sub(d.mul(use(lr))), p, g) as P;
    done();
    return [next, {}];
  }
  if (c.optimizer === "momentum") {
    t.dispose();
    const m = tree.map((mm: np.Array, d: np.Array) => mm.mul(b1).add(d), s.m!, g) as P;
    const next = tree.map((x: np.Array, mm: np.Array) => decay(x).sub(mm.mul(use(lr))), p, tree.ref(m)) as P;
    done();
    return [next, { m }];
  }
  const m = tree.map((mm: np.Array, d: np.Array) => mm.mul(b1).add(d.mul(1 - b1)), s.m!, tree.ref(g)) as P;
  const v = tree.map((vv: np.Array, d: np.Array) => vv.mul(b2).add(d.ref.mul(d).mul(1 - b2)), s.v!, g) as P;
  const bc1 = np.power(b1, t.ref).neg().add(1), bc2 = np.power(b2, t).neg().add(1); // bias corrections
  const next = tree.map(
    (x: np.Array, mm: np.Array, vv: np.Array) => decay(x).sub(mm.div(bc1.ref).mul(use(lr)).div(np.sqrt(vv.div(bc2.ref)).add(eps))),
    p, tree.ref(m), tree.ref(v),
  ) as P;
  bc1.dispose();
  bc2.dispose();
  done();
  return [next, { m, v }];
}
