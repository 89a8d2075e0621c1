// The jitted training step and evaluation pass for one shard of seeds. Everything a step needs
// arrives as arrays, so one compiled program serves every step of the run.
import { grad, jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { forward, type Arch, type Params } from "../models/mlp.ts";
import { preferenceLoss, rewardLoss, sftLoss, type ObjectiveInputs, type ObjectiveKind } from "../objectives/index.ts";
import { update, type OptimConfig, type OptState } from "./optim.ts";

export interface StepConfig {
  arch: Arch;
  optim: OptimConfig;
  objectives: Set<ObjectiveKind>; // objectives present in the run: the others are compiled out
  dropout: boolean;
  l1: number;
}

export type StepBatch = {
  x: np.Array; // [S, B, D]
  heads?: np.Array; // [1, B, heads, 1]
  dropout?: np.Array[]; // per ReLU layer [S, B, width]
  obj: ObjectiveInputs;
};

/**
 * Per-example loss [S, B]: each example's objective loss plus its share of the L1 term, so that
 * the mean over the batch is the seed's loss. Kept per example so the reported loss can be
 * reduced in JS in a fixed order: a reduction inside the kernel rounds differently with S.
 */
export function stepLoss(c: StepConfig, p: Params, ref: Params | undefined, batch: StepBatch): np.Array {
  const { obj } = batch;
  let refLogp: np.Array | undefined;
  if (ref) {
    const r = forward(c.arch, ref, batch.x.ref, { heads: batch.heads?.ref });
    refLogp = nn.logSoftmax(r.logits, -1);
  }
  const out = forward(c.arch, p, batch.x, { heads: batch.heads, dropout: batch.dropout, l1: c.l1 > 0 });
  const logp = nn.logSoftmax(out.logits.ref, -1); // [S, B, C]
  const terms: np.Array[] = [];
  if (obj.mask.sft) terms.push(sftLoss(logp.ref, obj.target!).mul(obj.mask.sft));
  if (obj.mask.reward) {
    const m = obj.mask.reward;
    terms.push(rewardLoss(out.logits.ref, logp.ref, obj.rewards!, obj.gumbel!, m.ref, obj.useBaseline!).mul(m));
  }
  if (obj.mask.preference) terms.push(preferenceLoss(logp.ref, refLogp!, obj.chosen!, obj.rejected!, obj.beta!).mul(obj.mask.preference));
  out.logits.dispose();
  logp.dispose();
  let loss = terms.reduce((a, b) => a.add(b)); // [S, B]
  if (out.l1) loss = loss.add(out.l1.mul(c.l1).reshape([-1, 1]));
  return loss;
}

// Optional inputs travel inside objects: jit takes pytrees, not undefined arguments.
export type StepFn = (p: Params, s: OptState, ref: { p?: Params }, batch: StepBatch, t: np.Array) => [Params, OptState, np.Array];

/** Builds the jitted step: (params, opt, ref, batch, t) → [params, opt, per-example loss [S, B]]. Consumes everything. */
export function buildStep(c: StepConfig): StepFn {
  const perSeed = (p: Params, ref: { p?: Params }, b: StepBatch) => stepLoss(c, p, ref.p, b);
  const total = (p: Params, ref: { p?: Params }, b: StepBatch) => {
    const l = perSeed(p, ref, b);
    // Seeds are independent, so the gradient of the sum is each seed's own gradient.
    return [l.ref.sum().div(l.shape[1]!), l] as [np.Array, np.Array];
  };
  const step = jit((p: Params, s: OptState, ref: { p?: Params }, b: StepBatch, t: np.Array) => {
    const [[, loss], g] = valueAndGrad(total, { hasAux: true })(tree.ref(p), ref, b);
    const [p2, s2] = update(c.optim, p, g, s, t);
    return [p2, s2, loss] as [Params, OptState, np.Array];
  });
  return step as unknown as StepFn;
}

export type EvalFn = (p: Params, x: np.Array, heads: { w?: np.Array }) => [np.Array, np.Array[]];

/** Builds the jitted evaluation: (params, x [1, M, D], heads) → [probs [S, M, C], hidden per layer [S, M, width]]. */
export function buildEval(a: Arch, keepHidden: boolean): EvalFn {
  return jit((p: Params, x: np.Array, heads: { w?: np.Array }) => {
    const out = forward(a, p, x, { heads: heads.w, keepHidden });
    return [nn.softmax(out.logits, -1), out.hidden] as [np.Array, np.Array[]];
  }) as unknown as EvalFn;
}

export type ProbeGradFn = (p: Params, x: np.Array, y: np.Array, heads: { w?: np.Array }) => Params;

/**
 * Builds the jitted gradient of the cross-entropy toward the clean teacher labels on one probe set
 * (x [1, M, D], y one-hot [1, M, C]): every seed's own gradient, the common currency in which the
 * environments' pulls on the shared weights are compared (gradient conflict), whatever their objective.
 */
export function buildProbeGrad(a: Arch): ProbeGradFn {
  const loss = (p: Params, x: np.Array, y: np.Array, heads: { w?: np.Array }) =>
    nn.logSoftmax(forward(a, p, x, { heads: heads.w }).logits, -1).mul(y).sum().neg();
  return jit((p: Params, x: np.Array, y: np.Array, heads: { w?: np.Array }) => grad(loss)(p, x, y, heads)) as unknown as ProbeGradFn;
}
