// A user model is any jax-js function `f(params, x) -> logits`; these build the standard loss and
// metrics from one, so every measurement in this folder can take a classifier as it comes.
import { nn, numpy as np, tree } from "@jax-js/jax";
import type { Loss, Params } from "./_tree.ts";

/** `f(params, x)`: x [batch, ...] to logits [batch, classes]. Consumes both arguments. */
export type Model<P extends Params> = (params: P, x: np.Array) => np.Array;

/** A labelled batch: inputs and integer class labels. */
export type Labelled = { x: np.Array; y: np.Array }; // x: [n, ...], y: int32 [n]

/** Mean cross-entropy of `f` on a labelled batch: the average negative log-likelihood L_n. */
export function crossEntropy<P extends Params>(f: Model<P>): Loss<P, Labelled> {
  return (params, { x, y }) => {
    const logp = nn.logSoftmax(f(params, x), -1); // [n, classes]
    const picked = logp.mul(nn.oneHot(y, logp.shape.at(-1)!)).sum(-1); // [n]
    return picked.mean().neg();
  };
}

/** Cross-entropy and accuracy of `f` on a labelled batch, as `{ loss, acc }` scalars. */
export function classifierMetrics<P extends Params>(f: Model<P>) {
  return (params: P, batch: Labelled): { loss: np.Array; acc: np.Array } => {
    const logits = f(tree.ref(params), batch.x.ref); // [n, classes]
    const hit = np.equal(np.argmax(logits, -1), batch.y.ref).astype(np.float32); // [n]
    return { loss: crossEntropy(f)(params, batch), acc: hit.mean() };
  };
}
