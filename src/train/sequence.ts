// The training loss and evaluation on a sequence world (World.sequence): the model reads
// prompt + completion tokens [S, B, P + L] and returns next-token logits at every position
// [S, B, P + L, C]; the ones at positions P−1 … P+L−2 predict the completion. Training is teacher
// forced; objectives that need more passes (sampling a completion, a rejected completion) get them
// through the SequenceContext; probes are answered by the model's own greedy completion.
import { lax, nn, numpy as np, tree } from "@jax-js/jax";
import type { SequenceLayout } from "../envs/index.ts";
import type { Model } from "../models/index.ts";
import type { ObjectiveDef, SequenceContext } from "../objectives/index.ts";

/** What the sequence loss reads of a step's batch (the step's StepBatch). */
interface SeqBatch {
  x: np.Array; // [S, B, P + L] token ids
  heads?: np.Array; // [1, B, heads, 1]
  noise?: np.Array[];
  obj: Record<string, { mask: np.Array; t: Record<string, np.Array> }>;
}

/** The logits that predict the completion: [S, B, P + L, C] → [S, B, L, C]. */
export function completionLogits(logits: np.Array, seq: SequenceLayout): np.Array {
  return logits.slice([], [], [seq.prompt - 1, seq.prompt - 1 + seq.completion]);
}

/**
 * Writes the first `count` completion tokens of x [S or 1, B, P + L] autoregressively: token l =
 * argmax(logits at P−1+l (+ noise[:, :, l]: Gumbel-max sampling)), one pass of `logitsAt` per token
 * on the growing prefix (the model is causal, so the unwritten positions do not matter). No gradient
 * flows through the choice. Consumes x and noise [S, B, L, C]. → [S, B, P + L]
 */
export function decode(logitsAt: (x: np.Array) => np.Array, x: np.Array, seq: SequenceLayout, noise: np.Array | undefined, count = seq.completion): np.Array {
  const T = seq.prompt + seq.completion;
  for (let l = 0; l < count; l++) {
    let z = lax.stopGradient(logitsAt(x.ref)).slice([], [], l); // [S, B, C]
    if (noise) z = z.add(noise.ref.slice([], [], l));
    const tok = np.argmax(z, -1).astype(np.float32); // [S, B]
    const at = new Float32Array(T);
    at[seq.prompt + l] = 1;
    const pos = np.array(at); // [T] one-hot of the written position
    x = x.mul(pos.ref.neg().add(1)).add(tok.reshape([...tok.shape, 1]).mul(pos)); // [S, B, T]
  }
  noise?.dispose();
  return x;
}

/** The sequence world's per-example loss [S, B], as stepLoss for one answer per input. Consumes p, ref and the batch. */
export function sequenceLoss(model: Model, objectives: readonly ObjectiveDef[], seq: SequenceLayout, p: unknown, ref: unknown, batch: SeqBatch): np.Array {
  const at = (logits: np.Array) => completionLogits(logits, seq);
  const keep = tree.ref(p as any), keepRef = ref ? tree.ref(ref as any) : undefined;
  const heads = () => batch.heads?.ref;
  const noise = () => batch.noise?.map((n) => n.ref);
  const refLogp = ref ? nn.logSoftmax(at(model.apply(ref, batch.x.ref, { heads: heads() }).logits), -1) : undefined; // [S, B, L, C]
  const out = model.apply(p, batch.x.ref, { heads: heads(), noise: noise(), penalty: true });
  const logits = at(out.logits); // [S, B, L, C]
  const logp = nn.logSoftmax(logits.ref, -1);
  const ctx: SequenceContext = {
    prompt: seq.prompt,
    completion: seq.completion,
    x: () => batch.x.ref,
    forward: (x) => at(model.apply(tree.ref(keep), x, { heads: heads(), noise: noise() }).logits),
    refForward: (x) => {
      if (!keepRef) throw new Error("an objective reads the reference policy but declares no `reference`");
      return at(model.apply(tree.ref(keepRef), x, { heads: heads() }).logits);
    },
    sample: (gumbel) => decode((x) => at(model.apply(tree.ref(keep), x, { heads: heads() }).logits), batch.x.ref, seq, gumbel),
  };
  const terms: np.Array[] = [];
  for (const d of objectives) {
    const { mask, t } = batch.obj[d.kind]!;
    let loss = d.loss({
      logits: () => logits.ref, logp: () => logp.ref, mask: () => mask.ref, t, seq: ctx,
      refLogp: () => {
        if (!refLogp) throw new Error(`objective ${d.kind} reads the reference policy but declares no \`reference\``);
        return refLogp.ref;
      },
    });
    if (loss.ndim === 3) loss = loss.sum(-1); // [S, B, L] → [S, B]: summed over the completion
    terms.push(loss.mul(mask));
  }
  tree.dispose([logits, logp, refLogp ?? [], keep, keepRef ?? [], batch.x, batch.heads ?? [], batch.noise ?? []] as any);
  let loss = terms.reduce((a, b) => a.add(b)); // [S, B]
  if (out.penalty) loss = loss.add(out.penalty.reshape([-1, 1]));
  tree.dispose(out.hidden as any);
  return loss;
}

/**
 * Evaluation on a sequence world: the greedy completion of every prompt x [1, M, P + L] (L passes),
 * then → [probs [S, M·L, C] at each completion token given the greedy prefix, hidden per layer at
 * the last prompt position [S, M, width], attention of that position to the trigger per layer [S, M, heads]].
 */
export function evalSequence(model: Model, keepHidden: boolean, seq: SequenceLayout, p: unknown, x: np.Array, heads?: np.Array): [np.Array, np.Array[], np.Array[]] {
  const keep = tree.ref(p as any), L = seq.completion;
  const filled = decode((xx) => completionLogits(model.apply(tree.ref(keep), xx, { heads: heads?.ref }).logits, seq), x, seq, undefined, L - 1);
  const out = model.apply(keep, filled, { heads, keepHidden }) as ReturnType<Model["apply"]> & { attention?: np.Array[] };
  const logits = completionLogits(out.logits, seq); // [S, M, L, C]
  const [S, M, , C] = logits.shape as [number, number, number, number];
  const probs = nn.softmax(logits, -1).reshape([S, M * L, C]);
  const last = seq.prompt - 1;
  const hidden = out.hidden.map((h) => (h.ndim === 4 ? h.slice([], [], last) : h)); // [S, M, T, W] → [S, M, W]
  const [c0, c1] = seq.cue;
  const attention = (out.attention ?? []).map((a) => (keepHidden ? a.slice([], [], [], last, [c0, c1]).sum(-1) : (a.dispose(), undefined))).filter((a): a is np.Array => !!a); // [S, M, H, T, T] → [S, M, H]
  return [probs, hidden, attention];
}
