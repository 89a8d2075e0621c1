// The fused training engine: a shard's MLP ensemble trained by the Wasm kernel (src/kernels/mlp.ts)
// instead of the jitted jax-js step, with the same batches, objectives, optimisers, lr schedule and
// clipping. The kernel owns the weights while training; the jax-js arrays the metrics read are
// rebuilt from it on demand (at checkpoints). `train.engine` chooses: auto = fused where covered.
import { numpy as np } from "@jax-js/jax";
import { FusedMlp, type FusedBatch, type LeafSet } from "../kernels/mlp.ts";
import { Mlp, type Params } from "../models/mlp.ts";
import { objectives } from "../objectives/index.ts";
import { specError } from "../util/errors.ts";
import type { RawBatch } from "./batch.ts";
import type { OptState } from "./optim.ts";
import type { RunPlan } from "./plan.ts";

export const engineDefault = "auto" as "auto" | "fused" | "jax"; // auto: the fused kernel where it covers the run, jax-js otherwise
export type Engine = "fused" | "jax";

const COVERED = new Set(["sft", "reward", "preference"]); // the objectives mlp.c implements

/** Why the fused kernel cannot train this plan (undefined: it can). */
export function fusedGap(plan: RunPlan): string | undefined {
  // the built-in MLP itself: a subclass (a plugin's) may change what apply computes
  if (!(plan.model instanceof Mlp) || plan.model.constructor !== Mlp) return `model kind "${plan.spec.model.kind}" has no fused kernel`;
  if (plan.world.sequence) return "a sequence world has no fused kernel"; // its loss reads the completion positions (sequence.ts)
  const other = plan.kinds.find((d) => !COVERED.has(d.kind) || d !== objectives.get(d.kind));
  if (other) return `objective "${other.kind}" has no fused kernel`;
  if (plan.model.arch.widths.length > 15) return "more than 15 hidden layers";
  return undefined;
}

/** The engine a shard of this plan trains with, and why when it falls back to jax-js. */
export function chooseEngine(plan: RunPlan): { engine: Engine; reason?: string } {
  const want = plan.spec.train.engine ?? engineDefault;
  if (want === "jax") return { engine: "jax", reason: "train.engine: jax" };
  const gap = fusedGap(plan);
  if (!gap) return { engine: "fused" };
  if (want === "fused") throw specError(`train.engine: fused cannot train this run: ${gap} (use engine auto, which falls back to jax-js, or jax)`);
  return { engine: "jax", reason: gap };
}

type Ensemble = { params: unknown; opt: OptState; ref?: unknown };

/** One shard's ensemble inside the kernel. */
export class FusedTrainer {
  readonly kernel: FusedMlp;
  private readonly model: Mlp;
  private readonly plan: RunPlan;
  private readonly seeds: number[];

  constructor(plan: RunPlan, seeds: number[]) {
    const model = plan.model as Mlp, t = plan.spec.train, a = model.arch;
    this.model = model;
    this.plan = plan;
    this.seeds = seeds;
    const kinds = new Set(plan.kinds.map((d) => d.kind));
    const { probes, world } = plan, N = probes.n;
    this.kernel = new FusedMlp({
      S: seeds.length, B: t.batch, input: a.input, classes: a.classes, heads: a.heads, widths: a.widths, relu: a.relu,
      l1: model.config.l1, dropout: model.config.dropout > 0,
      optimizer: t.optimizer, lr: t.lr, momentum: t.momentum, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay, l2Init: t.l2Init ?? 0,
      objectives: { sft: kinds.has("sft"), reward: kinds.has("reward"), preference: kinds.has("preference") },
      evalRows: Math.max(probes.envs, world.trained) * N, hiddenRows: world.trained * N,
    });
  }

  /** Copies an ensemble of jax-js arrays (parameters, optimiser state, reference policy) into the kernel. */
  load(e: Ensemble): void {
    const put = (set: LeafSet, p: unknown) => {
      const dst = this.kernel.leaves(set);
      if (!dst || !p) return;
      leavesOf(p as Params).forEach((a, i) => dst[i]!.set(a.ref.dataSync() as Float32Array));
    };
    put("params", e.params);
    put("m", e.opt.m);
    put("v", e.opt.v);
    put("init", e.opt.init);
    put("ref", e.ref);
  }

  /** The kernel's ensemble as fresh jax-js arrays (the caller owns them). */
  ensemble(withRef: boolean): Ensemble {
    const tree = (set: LeafSet): Params | undefined => {
      const src = this.kernel.leaves(set);
      if (!src) return undefined;
      const arrs = src.map((v, i) => np.array(v.slice()).reshape(this.kernel.shapes[i]!));
      const layers = this.model.arch.widths.map((_, l) => ({ w: arrs[2 * l]!, b: arrs[2 * l + 1]! }));
      return { layers, head: { w: arrs[arrs.length - 2]!, b: arrs[arrs.length - 1]! } };
    };
    const opt: OptState = {};
    for (const k of ["m", "v", "init"] as const) { const p = tree(k); if (p) opt[k] = p; }
    return { params: tree("params"), opt, ref: withRef ? tree("ref") : undefined };
  }

  /** Trains step t (0-based) on `raw`; lr and clip as scheduled for the step. → per-example loss [S, B] (a view). */
  step(t: number, raw: RawBatch, lr: number, clip: number): Float32Array {
    const b = this.kernel.batch, { plan } = this;
    b.x.set(raw.x);
    if (b.heads) fillHeads(b.heads, plan.model.heads, raw.assign);
    if (b.drop.some((d) => d)) {
      const noise = plan.model.trainNoise?.(plan.spec.seed, this.seeds, t, plan.spec.train.batch) ?? [];
      let k = 0;
      b.drop.forEach((d) => { if (d) d.set(noise[k++]!.dataSync() as Float32Array); });
    }
    copyObjectives(b, raw);
    return this.kernel.step(t + 1, lr, clip);
  }
}

/**
 * The checkpoint quantities of ShardTrainer (outputs, counterfactual, envGradients) computed by the
 * kernel from the weights it holds: the same quantities as the jitted evaluation, to float32 rounding.
 */
export class FusedEvaluator {
  constructor(private readonly f: FusedTrainer, private readonly plan: RunPlan) {}

  private rows(x: Float32Array, envOf: (m: number) => number, R: number): void {
    const io = this.f.kernel.evalIo!, H = this.plan.model.heads;
    io.x.set(x.subarray(0, R * this.plan.world.inputDim));
    if (io.heads) fillHeads(io.heads.subarray(0, R * H), H, Int32Array.from({ length: R }, (_, m) => envOf(m)));
  }

  /** Probabilities on every probe set [S, envs·N, C]. */
  outputs(): Float32Array {
    const { probes, world } = this.plan, R = probes.envs * probes.n;
    this.rows(probes.x, (m) => Math.floor(m / probes.n), R);
    return this.f.kernel.evaluate(R).probs.slice(0, this.f.kernel.spec.S * R * world.classes);
  }

  /** Probabilities on the counterfactual probes [S, E·N, C] and hidden representations [S, E·mechN, W] per layer. */
  counterfactual(mechN: number): { probs: Float32Array; hidden: Float32Array[]; mechN: number } {
    const { probes, world, model } = this.plan, N = probes.n, E = world.trained, R = E * N, S = this.f.kernel.spec.S;
    this.rows(probes.cf, (m) => Math.floor(m / N), R);
    const io = this.f.kernel.evaluate(R, { hidden: true });
    const hidden = model.hidden.map((W, l) => {
      const all = io.hidden[l]!, out = new Float32Array(S * E * mechN * W); // [S, E·mechN, W]
      for (let s = 0; s < S; s++) for (let e = 0; e < E; e++)
        out.set(all.subarray(((s * E + e) * N) * W, ((s * E + e) * N + mechN) * W), ((s * E + e) * mechN) * W);
      return out;
    });
    return { probs: io.probs.slice(0, S * R * world.classes), hidden, mechN };
  }

  /** Per trained env, the gradient of the clean cross-entropy on its probes, per leaf [S, ...]. */
  envGradients(): Float32Array[][] {
    const { probes, world } = this.plan, N = probes.n, C = world.classes, D = world.inputDim;
    return Array.from({ length: world.trained }, (_, e) => {
      this.rows(probes.x.subarray(e * N * D, (e + 1) * N * D), () => e, N);
      const io = this.f.kernel.evalIo!;
      io.y.fill(0);
      for (let i = 0; i < N; i++) io.y[i * C + probes.labels[e * N + i]!] = 1;
      return this.f.kernel.evaluate(N, { grad: true }).grads.map((g) => g.slice());
    });
  }

  /** Per seed, the weight each unit of the last representation has on the output [S, width] (Model.readoutNorm). */
  readoutNorm(): Float32Array {
    const leaves = this.f.kernel.leaves("params")!;
    return (this.plan.model as Mlp).headNorm(leaves[leaves.length - 2]!, this.f.kernel.spec.S);
  }

  /** The parameters per leaf [S, ...] (copies). */
  params(): Float32Array[] {
    return this.f.kernel.leaves("params")!.map((a) => a.slice());
  }
}

/** The MLP's leaves in the kernel's order: w0, b0, …, head w, head b. */
function leavesOf(p: Params): np.Array[] {
  return [...p.layers.flatMap((l) => [l.w, l.b]), p.head.w, p.head.b];
}

/** Head weights as headWeights (batch.ts) makes them: one-hot by env, uniform for novel envs. [B, H] */
function fillHeads(out: Float32Array, H: number, envs: Int32Array): void {
  out.fill(0);
  for (let m = 0; m < envs.length; m++) {
    const e = envs[m]!;
    if (e < H) out[m * H + e] = 1;
    else out.fill(1 / H, m * H, (m + 1) * H);
  }
}

function copyObjectives(b: FusedBatch, raw: RawBatch): void {
  const o = raw.obj;
  if (b.sft) { b.sft.mask.set(o.sft!.mask); b.sft.target.set(o.sft!.t.target!); }
  if (b.reward) {
    const r = o.reward!;
    b.reward.mask.set(r.mask); b.reward.rewards.set(r.t.rewards!); b.reward.gumbel.set(r.t.gumbel!); b.reward.useBaseline.set(r.t.useBaseline!);
  }
  if (b.preference) {
    const p = o.preference!;
    b.preference.mask.set(p.mask); b.preference.chosen.set(p.t.chosen!); b.preference.rejected.set(p.t.rejected!); b.preference.beta.set(p.t.beta!);
  }
}
