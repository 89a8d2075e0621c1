// Training any jax-js model on any loss with ecotone's optimisers and schedules, outside the
// experiment runner: the loop a known-answer experiment (a quadratic, a dataset from a paper)
// needs, jitted as one step like the runner's. See docs/extending.md.
import { jit, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import type { Schedule } from "../schedules/index.ts";
import { trainDefaults } from "./config.ts";
import { lrScheduleSchema, stepHyper, type LrSchedule } from "./lr.ts";
import { initOptState, stepInputs, update, type OptimConfig, type OptState } from "./optim.ts";

export type OptimizerOptions = Partial<OptimConfig>; // optimizer ("sgd" | "momentum" | "adam"), lr, momentum, beta2, eps, weightDecay

/** An optimiser as a pair of pure functions on any parameter pytree (defaults: `train:` in a spec). */
export function optimizer(o: OptimizerOptions = {}) {
  const c: OptimConfig = { optimizer: trainDefaults.optimizer, lr: trainDefaults.lr, momentum: trainDefaults.momentum, beta2: trainDefaults.beta2, eps: trainDefaults.eps, weightDecay: trainDefaults.weightDecay, ...o };
  return {
    config: c,
    init: <P>(params: P): OptState<P> => initOptState(c, params),
    /**
     * One update; consumes params, grads and state; `t` is the 1-based step count. `at` overrides
     * this step's lr (a schedule: lrAt) and clips the gradient to a global norm (the whole tree).
     */
    update: <P>(params: P, grads: P, state: OptState<P>, t: number, at: { lr?: number; clip?: number } = {}): [P, OptState<P>] =>
      update(c, params, grads, state, np.array(t), at.lr === undefined && at.clip === undefined ? {} : stepInputs(c, at.lr ?? c.lr, at.clip), false),
  };
}

export interface FitOptions<P, B> {
  params: P; // a pytree of jax-js arrays (consumed: fit returns the trained ones)
  loss: (params: P, batch: B) => np.Array; // a scalar; traced once and jitted with the update
  batch: (step: number, env: number) => B; // the batch of a step (consumed); env: the schedule's environment at that step (−1: a mixture; 0 without a schedule)
  steps: number;
  optimizer?: OptimizerOptions;
  schedule?: Schedule; // which environment trains when (makeSchedule, blocks, markov, mixture)
  lrSchedule?: Partial<LrSchedule>; // warm-up and decay of the lr (as `train.lrSchedule`; perPhase: over the schedule's phases); absent: constant
  gradClip?: number; // clip the gradient to this global L2 norm (the whole parameter tree); absent or 0: off
  onStep?: (step: number, loss: number) => void | "stop"; // after each step; "stop" ends training early
}

/** Trains `params` on `loss` for `steps` steps; returns the trained parameters and the loss of every step. */
export function fit<P, B>(o: FitOptions<P, B>): { params: P; losses: Float32Array; steps: number } {
  const opt = optimizer(o.optimizer);
  const step = jit((p: any, s: any, b: any, t: np.Array, h: any) => {
    const [l, g] = valueAndGrad(o.loss as any)(tree.ref(p), b);
    const [p2, s2] = update(opt.config, p, g, s, t, h, false); // one model: no seed axis
    return [p2, s2, l];
  }) as unknown as (p: P, s: OptState<P>, b: B, t: np.Array, h: object) => [P, OptState<P>, np.Array];
  const sequence = o.schedule?.sequence ?? new Int32Array(o.steps);
  const hyper = stepHyper(
    { lr: opt.config.lr, steps: o.steps, lrSchedule: o.lrSchedule && lrScheduleSchema.parse(o.lrSchedule), gradClip: o.gradClip },
    { sequence, phases: o.schedule?.phases ?? [{ start: 0, end: o.steps, env: "" }] }, [],
  );
  let params = o.params, state = opt.init(params);
  const losses = new Float32Array(o.steps);
  let t = 0;
  for (; t < o.steps; t++) {
    const env = o.schedule ? o.schedule.sequence[t] ?? -1 : 0;
    const h = hyper?.(t);
    const [p, s, l] = step(params, state, o.batch(t, env), np.array(t + 1), h ? stepInputs(opt.config, h.lr, h.clip) : {});
    [params, state] = [p, s];
    losses[t] = (l.dataSync() as Float32Array)[0]!; // reading the loss runs the step now (lazy steps pile up)
    if (o.onStep?.(t, losses[t]!) === "stop") { t++; break; }
  }
  tree.dispose(state as any);
  return { params, losses: losses.slice(0, t), steps: t };
}
