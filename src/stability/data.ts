// The dataset behind L_n for the local learning coefficient: the LLC is a property of a loss on
// n samples, and its estimator's scale is n β, so n must be the training set, not a few probes.
// With a finite pool (train.dataset) that is the pool itself, labels as trained (noisy ones
// included); with fresh data every step it is a fixed sample of the training distribution.
import { numpy as np } from "@jax-js/jax";
import type { Labelled, Model } from "../dynamics/index.ts";
import { datasetPool } from "../train/batch.ts";
import type { RunPlan } from "../train/plan.ts";
import { Rng } from "../util/rng.ts";
import { type AnyMember, headRows, memberFn } from "./members.ts";

export const trainingSetDefaults = {
  perEnv: 1024, // samples per trained environment when the spec draws fresh data
};

/** This module's random stream (drawn from the world seed, like the probes): distinct from src/util/rng STREAM. */
const SAMPLE_STREAM = 0x11c;

export interface TrainingSet {
  batch: Labelled; // x [n, D], y int32 [n] (a sequence world: x [n, P + L] teacher-forced, y int32 [n, L] the completion)
  f: Model<AnyMember>; // the member model, head weights bound to these rows
  n: number;
  source: "pool" | "fresh"; // the spec's finite pool, or a fixed draw from the training distribution
}

/** The training set of a plan's trained environments (pooled examples in environment order). */
export function trainingSet(plan: RunPlan, perEnv = trainingSetDefaults.perEnv): TrainingSet {
  const T = plan.world.trained, D = plan.world.inputDim, H = plan.model.heads;
  const pools = plan.spec.train.dataset > 0
    ? Array.from({ length: T }, (_, e) => datasetPool(plan, e)) // the pools are the world's, not a seed's
    : undefined;
  const per = pools ? plan.spec.train.dataset : perEnv;
  const n = T * per;
  const x = new Float32Array(n * D), y = new Int32Array(n);
  for (let e = 0; e < T; e++) {
    if (pools) {
      x.set(pools[e]!.x, e * per * D);
      y.set(pools[e]!.y, e * per);
      continue;
    }
    const rng = new Rng(plan.world.seed, SAMPLE_STREAM, e);
    for (let i = 0; i < per; i++) y[e * per + i] = plan.world.sample(e, rng, x, (e * per + i) * D);
  }
  const heads = headRows(H, (i) => Math.floor(i / per), n); // each row reads its environment's head
  const seq = plan.world.sequence;
  // a sequence world's targets are the completion tokens in x (a pool's noisy ones as trained)
  const ys = seq ? Int32Array.from({ length: n * seq.completion }, (_, j) => x[Math.floor(j / seq.completion) * D + seq.prompt + (j % seq.completion)]!) : y;
  return {
    batch: { x: np.array(x, { shape: [n, D] }), y: np.array(ys, { dtype: np.int32 }).reshape(seq ? [n, seq.completion] : [n]) },
    f: memberFn(plan, heads),
    n,
    source: pools ? "pool" : "fresh",
  };
}
