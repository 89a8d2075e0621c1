// One member of an ecotone ensemble as a plain jax-js model, so that every measurement
// of src/dynamics (written for a user's `f(params, x)`) runs on ecotone's own models unchanged.
// The seed axis is dropped from the member's parameters (w [in, out], b [out]), so that filter
// normalisation sees units, not a singleton axis, and biases count as biases.
import { numpy as np, tree } from "@jax-js/jax";
import type { Labelled, Model, Params as Tree } from "../dynamics/index.ts";
import { forward, Mlp, type Arch, type Params } from "../models/mlp.ts";
import type { RunPlan } from "../train/plan.ts";
import { completionLogits } from "../train/sequence.ts";
import type { ShardTrainer } from "../train/shard.ts";
import { EcotoneError } from "../util/errors.ts";

export type MemberLayer = { w: np.Array; b: np.Array }; // w [in, out], b [out]
export type MemberParams = { layers: MemberLayer[]; head: MemberLayer };

/** The MLP architecture of a plan: the learning-dynamics tools read members of an MLP ensemble. */
export function archOf(plan: RunPlan): Arch {
  if (!(plan.model instanceof Mlp))
    throw new EcotoneError("E_ARGS", `the learning-dynamics tools read MLP members; model kind ${JSON.stringify(plan.spec.model.kind)} has no member view yet`);
  return plan.model.arch;
}

/** The ensemble parameters a trainer holds (borrowed: do not consume). */
export function ensembleParams(t: ShardTrainer): Params {
  return t.params();
}

/** Member `s` of ensemble params, seed axis dropped: fresh arrays (the ensemble is borrowed). */
export function member(p: Params, s: number): MemberParams {
  const S = p.head.w.shape[0]!;
  if (!Number.isInteger(s) || s < 0 || s >= S) throw new EcotoneError("E_ARGS", `seed must be an integer in [0, ${S}), got ${s}`);
  const one = (l: { w: np.Array; b: np.Array }): MemberLayer => ({ w: l.w.ref.slice(s), b: l.b.ref.slice(s, 0) });
  return { layers: p.layers.map(one), head: one(p.head) };
}

/**
 * Member `s` of a trainer's ensemble, as it stands now (a copy: training on does not change it).
 */
export function memberOf(t: ShardTrainer, s: number): MemberParams {
  archOf(t.plan); // refuses a model without a member view (a transformer) with a clear message
  return member(ensembleParams(t), t.seeds.indexOf(s) >= 0 ? t.seeds.indexOf(s) : badSeed(t, s));
}

function badSeed(t: ShardTrainer, s: number): never {
  throw new EcotoneError("E_ARGS", `seed must be one of ${t.seeds.join(", ")}, got ${s}`);
}

/**
 * The member as `f(params, x [n, D]) -> logits [n, C]`, through the ensemble's own forward pass
 * (so it cannot drift from training). With per-environment heads, `heads` gives each row's head
 * weights [n, H] for a fixed batch; without it every head is averaged, as for novel environments
 * (an arbitrary input belongs to no environment).
 */
export function memberModel(a: Arch, heads?: Float32Array): Model<MemberParams> {
  return (p, x) => {
    const [n, D] = x.shape as [number, number];
    const lift = (l: MemberLayer) => ({ w: l.w.reshape([1, ...l.w.shape]), b: l.b.reshape([1, 1, -1]) });
    const headW = a.heads <= 1 ? undefined
      : heads ? np.array(heads, { shape: [1, n, a.heads, 1] })
      : np.full([1, 1, a.heads, 1], 1 / a.heads);
    const out = forward(a, { layers: p.layers.map(lift), head: lift(p.head) }, x.reshape([1, n, D]), { heads: headW });
    return out.logits.reshape([n, a.classes]); // [n, C]
  };
}

/** Number of scalar parameters of a member. */
export const memberSize = (p: Tree): number => tree.leaves(p).reduce((s, l) => s + (l as np.Array).size, 0);

/** Probe rows of the given environments (indices into plan.allEnvNames), as plain arrays. */
export function probeRows(plan: RunPlan, envs: number[]): { x: Float32Array; y: Int32Array; heads?: Float32Array; n: number } {
  const { probes } = plan, arch = archOf(plan);
  const N = probes.n, D = arch.input, H = arch.heads;
  const x = new Float32Array(envs.length * N * D), y = new Int32Array(envs.length * N);
  const heads = H > 1 ? new Float32Array(envs.length * N * H) : undefined;
  envs.forEach((e, k) => {
    x.set(probes.x.subarray(e * N * D, (e + 1) * N * D), k * N * D);
    y.set(probes.labels.subarray(e * N, (e + 1) * N), k * N);
    // a trained environment reads its own head; a novel one averages them (as in ShardTrainer)
    if (heads) for (let i = 0; i < N; i++) for (let h = 0; h < H; h++) heads[(k * N + i) * H + h] = e < H ? +(h === e) : 1 / H;
  });
  return { x, y, heads, n: envs.length * N };
}

/** A labelled jax-js batch of probe rows, with the member model that reads it (head weights bound). */
export function probeBatch(plan: RunPlan, envs: number[]): { batch: Labelled; f: Model<MemberParams>; n: number } {
  const r = probeRows(plan, envs);
  return {
    batch: { x: np.array(r.x, { shape: [r.n, archOf(plan).input] }), y: np.array(r.y, { dtype: np.int32 }) },
    f: memberModel(archOf(plan), r.heads),
    n: r.n,
  };
}

/** Indices of the trained environments of a plan. */
export const trainedEnvs = (plan: RunPlan): number[] => plan.envNames.map((_, e) => e);

// ---- Any model: a member is its ensemble's parameter pytree with the seed axis dropped, read
// through the model's own `apply` at S = 1, so a new model needs no member code of its own. A
// leaf [S, 1, k] (a bias, a LayerNorm gain) becomes [k], so that filter normalisation treats it as
// a bias; `apply` gets each leaf back in its ensemble shape with S = 1.

/** A member of any model: the ensemble's pytree, seed axis dropped (fresh arrays: dispose them). */
export type AnyMember = Tree;

/** The S = 1 shape of every leaf of a plan's model, in pytree order (from a one-seed init, then freed). */
const leafShapes = new WeakMap<RunPlan, number[][]>();
function shapesOf(plan: RunPlan): number[][] {
  let out = leafShapes.get(plan);
  if (!out) {
    const p = plan.model.init(plan.spec.seed, [0]);
    out = (tree.leaves(p) as np.Array[]).map((l) => [...l.shape]);
    tree.dispose(p);
    leafShapes.set(plan, out);
  }
  return out;
}

/** Member `s` (an index into the ensemble) of any model's ensemble params: fresh arrays (the ensemble is borrowed). */
export function anyMember(p: Tree, s: number): AnyMember {
  const [leaves, def] = tree.flatten(p) as [np.Array[], Parameters<typeof tree.unflatten>[0]];
  const S = leaves[0]!.shape[0]!;
  if (!Number.isInteger(s) || s < 0 || s >= S) throw new EcotoneError("E_ARGS", `seed must be an integer in [0, ${S}), got ${s}`);
  const one = leaves.map((l) => {
    const m = l.ref.slice(s); // [...] the seed axis dropped
    return m.ndim >= 2 && m.shape[0] === 1 ? m.reshape(m.shape.slice(1)) : m; // [1, k] → [k]
  });
  return tree.unflatten(def, one) as AnyMember;
}

/** Member `s` of a trainer's ensemble, any model (the MLP's view for an MLP, so its numbers stay as they were). */
export function anyMemberOf(t: ShardTrainer, s: number): AnyMember {
  const g = t.seeds.indexOf(s) >= 0 ? t.seeds.indexOf(s) : badSeed(t, s);
  return t.plan.model instanceof Mlp ? member(ensembleParams(t), g) : anyMember(t.params(), g);
}

/**
 * Any model's member as `f(params, x)`. An MLP: `memberModel`. A sequence model on a sequence world:
 * x [n, P + L] holds prompts and their teacher-forced completions, and f returns the next-token
 * logits that predict the completion, [n, L, V], so the dynamics' cross-entropy against labels
 * [n, L] is teacher-forced next-token cross-entropy averaged over the completion's tokens (sft's
 * loss divided by L). `heads` [n, H]: each row's output-head weights, as for the MLP.
 */
export function memberFn(plan: RunPlan, heads?: Float32Array): Model<AnyMember> {
  if (plan.model instanceof Mlp) return memberModel(plan.model.arch, heads) as unknown as Model<AnyMember>;
  const seq = plan.world.sequence;
  if (!seq) throw new EcotoneError("E_ARGS", `the learning-dynamics tools read model kind ${JSON.stringify(plan.spec.model.kind)} on sequence worlds only; world ${JSON.stringify(plan.spec.world.kind)} has one answer per input`);
  const shapes = shapesOf(plan), H = plan.model.heads, V = plan.world.classes, Ttot = seq.prompt + seq.completion;
  return (p, x) => {
    const n = x.shape[0]!;
    const [leaves, def] = tree.flatten(p) as [np.Array[], Parameters<typeof tree.unflatten>[0]];
    const lifted = tree.unflatten(def, leaves.map((l, i) => l.reshape(shapes[i]!))); // each leaf [1, ...]
    const headW = H <= 1 ? undefined
      : heads ? np.array(heads, { shape: [1, n, H, 1] })
      : np.full([1, n, H, 1], 1 / H);
    const out = plan.model.apply(lifted, x.reshape([1, n, Ttot]), { heads: headW }); // logits [1, n, P + L, V]
    tree.dispose(out.hidden);
    return completionLogits(out.logits, seq).reshape([n, seq.completion, V]); // [n, L, V]
  };
}

/** Row head weights [rows, H] for environments `envOfRow` (trained: its own head; novel: all averaged); undefined with one head. */
export function headRows(H: number, envOfRow: (i: number) => number, rows: number): Float32Array | undefined {
  if (H <= 1) return undefined;
  const out = new Float32Array(rows * H);
  for (let i = 0; i < rows; i++) {
    const e = envOfRow(i);
    for (let h = 0; h < H; h++) out[i * H + h] = e < H ? +(h === e) : 1 / H;
  }
  return out;
}

/**
 * A labelled batch of probe rows of any model, with the member model that reads it. MLP: as
 * `probeBatch`. Sequence world: one row per prompt, x [n, P + L] the prompt and its teacher's
 * completion, y [n, L] the completion tokens (teacher forcing).
 */
export function anyProbeBatch(plan: RunPlan, envs: number[]): { batch: Labelled; f: Model<AnyMember>; n: number } {
  if (plan.model instanceof Mlp) {
    const r = probeBatch(plan, envs);
    return { ...r, f: r.f as unknown as Model<AnyMember> };
  }
  const seq = plan.world.sequence, { probes } = plan;
  if (!seq || probes.prompts === undefined) return { batch: undefined as never, f: memberFn(plan), n: 0 }; // memberFn refuses
  const N = probes.prompts, D = seq.prompt + seq.completion, L = seq.completion;
  const x = new Float32Array(envs.length * N * D), y = new Int32Array(envs.length * N * L);
  envs.forEach((e, k) => {
    x.set(probes.x.subarray(e * N * D, (e + 1) * N * D), k * N * D);
    y.set(probes.labels.subarray(e * N * L, (e + 1) * N * L), k * N * L);
  });
  const n = envs.length * N;
  return {
    batch: { x: np.array(x, { shape: [n, D] }), y: np.array(y, { dtype: np.int32 }).reshape([n, L]) },
    f: memberFn(plan, headRows(plan.model.heads, (i) => envs[Math.floor(i / N)]!, n)),
    n,
  };
}
