// Training any jax-js model on any loss with ecotone's optimisers and schedules, outside the
// experiment runner: the loop a known-answer experiment (a quadratic, a dataset from a paper)
// needs, jitted as one step like the runner's. See docs/extending.md.
import { jit, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import type { Schedule } from "../schedules/index.ts";
import { trainDefaults } from "./config.ts";
import { initOptState, update, type OptimConfig, type OptState } from "./optim.ts";

export type OptimizerOptions = Partial<OptimConfig>; // optimizer ("sgd" | "momentum" | "adam"), lr, momentum, beta2, eps, weightDecay

/** An optimiser as a pair of pure functions on any parameter pytree (defaults: `train:` in a spec). */
export function optimizer(o: OptimizerOptions = {}) {
  const c: OptimConfig = { optimizer: trainDefaults.optimizer, lr: trainDefaults.lr, momentum: trainDefaults.momentum, beta2: trainDefaults.beta2, eps: trainDefaults.eps, weightDecay: trainDefaults.weightDecay, ...o };
  return {
    config: c,
    init: <P>(params: P): OptState<P> => initOptState(c, params),
    /** One update; consumes params, grads and state; `t` is the 1-based step count. */
    update: <P>(params: P, grads: P, state: OptState<P>, t: number): [P, OptState<P>] => update(c, params, grads, state, np.array(t)),
  };
}

export interface FitOptions<P, B> {
  params: P; // a pytree of jax-js arrays (consumed: fit returns the trained ones)
  loss: (params: P, batch: B) => np.Array; // a scalar; traced once and jitted with the update
  batch: (step: number, env: number) => B; // the batch of a step (consumed); env: the schedule's environment at that step (−1: a mixture; 0 without a schedule)
  steps: number;
  optimizer?: OptimizerOptions;
  schedule?: Schedule; // which environment trains when (makeSchedule, blocks, markov, mixture)
  onStep?: (step: number, loss: number) => void | "stop"; // after each step; "stop" ends training early
}

/** Trains `params` on `loss` for `steps` steps; returns the trained parameters and the loss of every step. */
export function fit<P, B>(o: FitOptions<P, B>): { params: P; losses: Float32Array; steps: number } {
  const opt = optimizer(o.optimizer);
  const step = jit((p: any, s: any, b: any, t: np.Array) => {
    const [l, g] = valueAndGrad(o.loss as any)(tree.ref(p), b);
    const [p2, s2] = update(opt.config, p, g, s, t);
    return [p2, s2, l];
  }) as unknown as (p: P, s: OptState<P>, b: B, t: np.Array) => [P, OptState<P>, np.Array];
  let params = o.params, state = opt.init(params);
  const losses = new Float32Array(o.steps);
  let t = 0;
  for (; t < o.steps; t++) {
    const env = o.schedule ? o.schedule.sequence[t] ?? -1 : 0;
    const [p, s, l] = step(params, state, o.batch(t, env), np.array(t + 1));
    [params, state] = [p, s];
    losses[t] = (l.dataSync() as Float32Array)[0]!; // reading the loss runs the step now (lazy steps pile up)
    if (o.onStep?.(t, losses[t]!) === "stop") { t++; break; }
  }
  tree.dispose(state as any);
  return { params, losses: losses.slice(0, t), steps: t };
}
