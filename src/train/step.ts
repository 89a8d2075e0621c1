// The jitted training step and evaluation pass for one shard of seeds, generic over the model and
// the objectives. Everything a step needs arrives as arrays, so one compiled program serves every
// step of the run.
import { grad, jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import type { SequenceLayout } from "../envs/index.ts";
import type { Model } from "../models/index.ts";
import type { ObjectiveDef } from "../objectives/index.ts";
import { completionLogits, evalSequence, sequenceLoss } from "./sequence.ts";
import { update, type OptimConfig, type OptState, type StepInputs } from "./optim.ts";

export interface StepConfig {
  model: Model;
  optim: OptimConfig;
  objectives: readonly ObjectiveDef[]; // objectives present in the run (the others are compiled out), in registration order
  sequence?: SequenceLayout; // a sequence world: the loss reads the completion positions (sequence.ts)
}

/** One objective's part of a batch: which examples carry it, and the tensors its loss reads. */
export type ObjectiveBatch = { mask: np.Array; t: Record<string, np.Array> }; // mask [1, B]

export type StepBatch = {
  x: np.Array; // [S, B, D]
  heads?: np.Array; // [1, B, heads, 1]
  noise?: np.Array[]; // the model's training noise (e.g. dropout masks)
  obj: Record<string, ObjectiveBatch>; // by objective kind
};

/**
 * Per-example loss [S, B]: each example's objective loss plus its share of the model's penalty,
 * so that the mean over the batch is the seed's loss. Kept per example so the reported loss can be
 * reduced in JS in a fixed order: a reduction inside the kernel rounds differently with S.
 */
export function stepLoss(c: StepConfig, p: unknown, ref: unknown, batch: StepBatch): np.Array {
  if (c.sequence) return sequenceLoss(c.model, c.objectives, c.sequence, p, ref, batch);
  let refLogp: np.Array | undefined;
  if (ref) refLogp = nn.logSoftmax(c.model.apply(ref, batch.x.ref, { heads: batch.heads?.ref }).logits, -1);
  const out = c.model.apply(p, batch.x, { heads: batch.heads, noise: batch.noise, penalty: true });
  const logp = nn.logSoftmax(out.logits.ref, -1); // [S, B, C]
  const terms: np.Array[] = [];
  for (const d of c.objectives) {
    const { mask, t } = batch.obj[d.kind]!;
    const loss = d.loss({
      logits: () => out.logits.ref, logp: () => logp.ref, mask: () => mask.ref, t,
      refLogp: () => {
        if (!refLogp) throw new Error(`objective ${d.kind} reads the reference policy but declares no \`reference\``);
        return refLogp.ref;
      },
    });
    terms.push(loss.mul(mask));
  }
  out.logits.dispose();
  logp.dispose();
  refLogp?.dispose();
  let loss = terms.reduce((a, b) => a.add(b)); // [S, B]
  if (out.penalty) loss = loss.add(out.penalty.reshape([-1, 1]));
  return loss;
}

// Optional inputs travel inside objects: jit takes pytrees, not undefined arguments.
export type StepFn = <P>(p: P, s: OptState<P>, ref: { p?: P }, batch: StepBatch, t: np.Array, h?: StepInputs) => [P, OptState<P>, np.Array];

/** Builds the jitted step: (params, opt, ref, batch, t, scheduled lr and clip) → [params, opt, per-example loss [S, B]]. Consumes everything. */
export function buildStep(c: StepConfig): StepFn {
  const total = (p: any, ref: { p?: any }, b: StepBatch) => {
    const l = stepLoss(c, p, ref.p, b);
    // Seeds are independent, so the gradient of the sum is each seed's own gradient.
    return [l.ref.sum().div(l.shape[1]!), l] as [np.Array, np.Array];
  };
  const step = jit((p: any, s: any, ref: { p?: unknown }, b: StepBatch, t: np.Array, h: StepInputs = {}) => {
    const [[, loss], g] = valueAndGrad(total, { hasAux: true })(tree.ref(p), ref, b);
    const [p2, s2] = update(c.optim, p, g, s, t, h); // every leaf is [S, ...]: each seed clipped by its own norm
    return [p2, s2, loss];
  });
  return step as unknown as StepFn;
}

export type EvalFn = (p: unknown, x: np.Array, heads: { w?: np.Array }) => [np.Array, np.Array[], np.Array[]?];

/**
 * Builds the jitted evaluation: (params, x [1, M, D], heads) → [probs [S, M, C], hidden per representation [S, M, width]]
 * (a sequence world: [probs [S, M·L, C], hidden [S, M, width], attention to the trigger per layer [S, M, heads]], see sequence.ts).
 */
export function buildEval(model: Model, keepHidden: boolean, sequence?: SequenceLayout): EvalFn {
  return jit((p: unknown, x: np.Array, heads: { w?: np.Array }) => {
    if (sequence) return evalSequence(model, keepHidden, sequence, p, x, heads.w);
    const out = model.apply(p, x, { heads: heads.w, keepHidden });
    return [nn.softmax(out.logits, -1), out.hidden] as [np.Array, np.Array[]];
  }) as unknown as EvalFn;
}

export type ProbeGradFn = (p: unknown, x: np.Array, y: np.Array, heads: { w?: np.Array }) => unknown;

/**
 * Builds the jitted gradient of the cross-entropy toward the clean targets on one probe set
 * (x [1, M, D], y one-hot [1, M, C]): every seed's own gradient, the common currency in which the
 * environments' pulls on the shared weights are compared (gradient conflict), whatever their objective.
 */
export function buildProbeGrad(model: Model, sequence?: SequenceLayout): ProbeGradFn {
  // a sequence world: teacher forced, y one-hot [1, M, L, C] at the completion positions
  const at = (logits: np.Array) => (sequence ? completionLogits(logits, sequence) : logits);
  const loss = (p: unknown, x: np.Array, y: np.Array, heads: { w?: np.Array }) =>
    nn.logSoftmax(at(model.apply(p, x, { heads: heads.w }).logits), -1).mul(y).sum().neg();
  return jit((p: any, x: np.Array, y: np.Array, heads: { w?: np.Array }) => grad(loss)(p, x, y, heads)) as unknown as ProbeGradFn;
}
