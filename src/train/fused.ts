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
    this.kernel = new FusedMlp({
      S: seeds.length, B: t.batch, input: a.input, classes: a.classes, heads: a.heads, widths: a.widths, relu: a.relu,
      l1: model.config.l1, dropout: model.config.dropout > 0,
      optimizer: t.optimizer, lr: t.lr, momentum: t.momentum, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay, l2Init: t.l2Init ?? 0,
      objectives: { sft: kinds.has("sft"), reward: kinds.has("reward"), preference: kinds.has("preference") },
      ...evalLayout(plan, seeds.length),
    });
  }

  /** Copies an ensemble of jax-js arrays (parameters, optimiser state, reference policy) into the kernel. */
  load(e: Ensemble): void {
    this.kernel.changed();
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

// Most floats of probe-set activations kept between outputs() and envGradients() (256 MB); beyond it
// envGradients runs its own forward.
const KEEP_LIMIT = 2 ** 26;

/**
 * The kernel memory of the checkpoint quantities, in floats (P = envs·N probe rows, K = trained·N,
 * M = mechanism probes per env): the probe sets and targets, written once, and each quantity's outputs.
 */
function evalLayout(plan: RunPlan, S: number): { evalRows: number; regions: Record<string, number> } {
  const { probes, world, model } = plan, N = probes.n, P = probes.envs * N, K = world.trained * N, { inputDim: D, classes: C } = world;
  const H = model.heads, M = Math.min(plan.spec.metrics.mechanismProbes, N);
  const r: Record<string, number> = {
    px: P * D, cfx: K * D, ey: K * C, // probe rows [P, D], counterfactual rows [K, D], each trained env's targets [K, C]
    oprobs: S * P * C, cfprobs: S * K * C, // outputs [S, P, C], counterfactual [S, K, C]
  };
  if (H > 1) { r.pheads = P * H; r.cfheads = K * H; }
  model.hidden.forEach((W, l) => { r[`cfhidden${l}`] = S * world.trained * M * W; }); // [S, E·M, W]
  // The outputs' forward of the trained envs' rows is envGradients' forward: their activations are kept [S, K, W]
  if (S * K * model.hidden.reduce((a, b) => a + b, 0) <= KEEP_LIMIT) model.hidden.forEach((W, l) => { r[`oact${l}`] = S * K * W; });
  return { evalRows: Math.max(P, K), regions: r };
}

/**
 * The checkpoint quantities of ShardTrainer (outputs, counterfactual, envGradients) computed by the
 * kernel from the weights it holds: the same quantities as the jitted evaluation, to float32 rounding.
 * The forward on the probe set is done once per version of the weights and shared: whichever of
 * outputs() and envGradients() comes first runs the rows it needs and keeps them (probabilities, and
 * the trained envs' activations); the other runs only what is left (the remaining rows; the
 * backward). The numbers are the separate passes' bit for bit: a row's forward does not depend on
 * the rows beside it.
 */
export class FusedEvaluator {
  private readonly k: FusedMlp;
  private readonly share: boolean; // the probe set's forward is kept and envGradients reuses it
  private fwdVersion = -1; // the kernel version whose probe-set forward is in oprobs (and oact)
  private fwdRows = 0; // of it, the rows done (the first ones)

  /**
   * One per kernel (the quantities live in its regions). share: false: nothing kept, envGradients
   * runs its own forward, as before the sharing (tests compare the two).
   */
  constructor(f: FusedTrainer, private readonly plan: RunPlan, o: { share?: boolean } = {}) {
    const k = (this.k = f.kernel), { probes, world, model } = plan, N = probes.n, H = model.heads, C = world.classes;
    k.region("px").set(probes.x.subarray(0, probes.envs * N * world.inputDim));
    k.region("cfx").set(probes.cf.subarray(0, world.trained * N * world.inputDim));
    const envOf = (R: number) => Int32Array.from({ length: R }, (_, m) => Math.floor(m / N));
    if (H > 1) { fillHeads(k.region("pheads"), H, envOf(probes.envs * N)); fillHeads(k.region("cfheads"), H, envOf(world.trained * N)); }
    const y = k.region("ey");
    for (let i = 0; i < world.trained * N; i++) y[i * C + probes.labels[i]!] = 1;
    this.share = (o.share ?? true) && model.hidden.every((_, l) => k.hasRegion(`oact${l}`));
  }

  /** How many of the probe set's first rows have their forward at the current weights in oprobs (and oact). */
  private done(): number {
    if (!this.share || this.fwdVersion !== this.k.version) [this.fwdVersion, this.fwdRows] = [this.k.version, 0];
    return this.fwdRows;
  }

  /**
   * The forward on probe rows [from, to): probabilities into oprobs [S, P, C], the trained envs'
   * activations (rows < K, when shared) into oact [S, K, W]. With `grad` (rows of one trained env),
   * the gradient of its cross-entropy too; with `back` only that, from the forward already there.
   */
  private pass(from: number, to: number, o: { grad?: boolean; back?: boolean } = {}): void {
    if (to <= from) return;
    const { probes, world, model } = this.plan, P = probes.envs * probes.n, K = world.trained * probes.n, C = world.classes;
    const keep = this.share && to <= K;
    this.k.evaluate({
      rows: to - from, x: this.k.region("px").subarray(from * world.inputDim), heads: this.heads("pheads")?.subarray(from * model.heads),
      probs: this.k.region("oprobs").subarray(from * C), probsRows: P,
      ...(keep && { hidden: model.hidden.map((W, l) => this.k.region(`oact${l}`).subarray(from * W)), hiddenRows: K }),
      ...(o.grad && { y: this.k.region("ey").subarray(from * C), back: o.back }),
    });
  }

  private heads(name: string): Float32Array | undefined {
    return this.plan.model.heads > 1 ? this.k.region(name) : undefined;
  }

  /** Probabilities on every probe set [S, envs·N, C]. */
  outputs(): Float32Array {
    const { probes, world } = this.plan, P = probes.envs * probes.n, K = world.trained * probes.n, from = this.done();
    if (this.share) { // the trained envs' rows (those not done yet) in a pass of their own, which keeps their activations
      this.pass(from, K);
      this.pass(Math.max(from, K), P);
    } else this.pass(from, P);
    this.fwdRows = P;
    return this.k.region("oprobs").slice();
  }

  /** Probabilities on the counterfactual probes [S, E·N, C] and hidden representations [S, E·mechN, W] per layer. */
  counterfactual(mechN: number): { probs: Float32Array; hidden: Float32Array[]; mechN: number } {
    const { probes, world, model } = this.plan, N = probes.n, E = world.trained, S = this.k.spec.S;
    if (!(mechN >= 0 && mechN <= Math.min(this.plan.spec.metrics.mechanismProbes, N))) throw new Error(`fused evaluator: ${mechN} mechanism probes, room for ${Math.min(this.plan.spec.metrics.mechanismProbes, N)}`);
    const probs = this.k.region("cfprobs"), hidden = model.hidden.map((_, l) => this.k.region(`cfhidden${l}`));
    // of each env's N rows the first mechN activations, one env after another: [S, E·mechN, W]
    this.k.evaluate({ rows: E * N, x: this.k.region("cfx"), heads: this.heads("cfheads"), probs, hidden, block: [N, mechN], hiddenRows: E * mechN });
    return { probs: probs.slice(), hidden: hidden.map((h, l) => h.slice(0, S * E * mechN * model.hidden[l]!)), mechN };
  }

  /** Per trained env, the gradient of the clean cross-entropy on its probes, per leaf [S, ...]. */
  envGradients(): Float32Array[][] {
    const { probes, world } = this.plan, N = probes.n, K = world.trained * N;
    // only the backward, from the probe set's forward; else forward and backward in one pass per env (whose activations outputs() then reuses)
    const back = this.share && this.done() >= K;
    const grads = Array.from({ length: world.trained }, (_, e) => {
      this.pass(e * N, (e + 1) * N, { grad: true, back });
      return this.k.grads.map((g) => g.slice());
    });
    if (this.share) this.fwdRows = Math.max(this.fwdRows, K);
    return grads;
  }

  /** Per seed, the weight each unit of the last representation has on the output [S, width] (Model.readoutNorm). */
  readoutNorm(): Float32Array {
    const leaves = this.k.leaves("params")!;
    return (this.plan.model as Mlp).headNorm(leaves[leaves.length - 2]!, this.k.spec.S);
  }

  /** The parameters per leaf [S, ...] (copies). */
  params(): Float32Array[] {
    return this.k.leaves("params")!.map((a) => a.slice());
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
