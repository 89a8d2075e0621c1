// A decoder-only causal transformer ensemble: `model: { kind: transformer }`. Every parameter has
// a leading seed axis [S, ...] like the MLP's, and seed g is initialised from (runSeed, g) alone.
//
// Contract with the sequence worlds/objectives (issue 12):
// - x: [S or 1, B, T] holding integer token ids in [0, V) as floats; ModelShape.input = T (the
//   world's sequence length, T ≤ context), ModelShape.classes = V (the vocabulary).
// - apply → logits [S, B, T, V]: next-token logits at every position; position t sees tokens ≤ t.
// - keepHidden → hidden: the residual stream after the embedding and after each block, each
//   [S, B, T, d_model]; attention: per layer [S, B, H, T, T] attention probabilities.
// - heads ([1, B, E, 1], one-hot by env) picks the environment's unembedding with
//   `outputHeads: per-env` (the low-pressure control). Knob names: `heads` is the number of
//   attention heads; the per-environment output heads are `outputHeads`.
// - penalty: l1 × Σ_layers mean |MLP activation| [S]; readoutNorm: [S, d_model].
// - trainNoise: dropout masks sized for T = ModelShape.input (decode on the full-length sequence).
// Weight decay is the optimiser's (`train.weightDecay`, decoupled, on every tensor).
//
// Architecture (GPT-2 style): token + learned position embeddings, pre-LayerNorm blocks of
// multi-head causal attention and an MLP, a final LayerNorm, then an optional linear bottleneck
// and the unembedding (tied to the token embedding or not). Attention is written with np.matmul:
// einsum / nn.dotProductAttention need an Iterator.prototype.map shim on Node 20.
import { nn, numpy as np, tree } from "@jax-js/jax";
import { z } from "zod";
import { specError } from "../util/errors.ts";
import { Rng, STREAM } from "../util/rng.ts";
import { defineModel, type ApplyOptions, type ApplyResult, type Model, type ModelShape } from "./model.ts";

export const transformerDefaults = {
  layers: 2, // transformer blocks
  dModel: 64, // width of the residual stream (sharing pressure: narrower = more)
  heads: 4, // attention heads per block (must divide dModel)
  mlp: 0, // hidden width of each block's MLP; 0 = 4·dModel
  context: 0, // longest sequence (position embeddings); 0 = the world's sequence length
  activation: "gelu" as "gelu" | "relu", // the MLP's nonlinearity (gelu: the tanh approximation, as GPT-2)
  dropout: 0, // dropout on the embedding and on each attention and MLP output, while training
  tied: false, // unembedding = the token embedding transposed (no separate output matrix)
  bottleneck: 0, // width of a linear bottleneck between the final LayerNorm and the unembedding; 0 = none
  l1: 0, // L1 penalty on the mean |activation| of every block's MLP hidden layer
  outputHeads: "shared" as "shared" | "per-env", // "per-env": a separate unembedding per environment (low-pressure control)
  initScale: 0.02, // std of the normal initialisation (GPT-2); residual projections get /√(2·layers)
};

const D = transformerDefaults;
export const transformerSchema = z.strictObject({
  kind: z.literal("transformer"),
  layers: z.int().min(1).max(64).default(D.layers),
  dModel: z.int().min(1).max(4096).default(D.dModel),
  heads: z.int({ error: "heads is the number of attention heads (an integer); per-environment output heads are `outputHeads: per-env`" }).min(1).max(256).default(D.heads),
  mlp: z.int().min(0).max(16384).default(D.mlp),
  context: z.int().min(0).max(4096).default(D.context),
  activation: z.enum(["gelu", "relu"]).default(D.activation),
  dropout: z.number().min(0).max(0.95).default(D.dropout),
  tied: z.boolean().default(D.tied),
  bottleneck: z.int().min(0).max(4096).default(D.bottleneck),
  l1: z.number().min(0).default(D.l1),
  outputHeads: z.enum(["shared", "per-env"]).default(D.outputHeads),
  initScale: z.number().positive().max(10).default(D.initScale),
});
export type TransformerSpec = z.infer<typeof transformerSchema>;

export type Lin = { w: np.Array; b: np.Array }; // w [S, in, out], b [S, 1, out]
export type Norm = { g: np.Array; b: np.Array }; // [S, 1, d] each
export type Block = { ln1: Norm; qkv: Lin; out: Lin; ln2: Norm; up: Lin; down: Lin };
export type Params = {
  tok: np.Array; // [S, V, d] token embedding
  pos: np.Array; // [S, context, d] position embedding
  blocks: Block[];
  lnf: Norm; // final LayerNorm
  bottleneck?: np.Array; // [S, d, k] (linear, no bias)
  unembed?: np.Array; // [S, d or k, outHeads·V] (absent when tied)
};

/** Static shape facts the forward pass closes over. */
export interface Arch {
  vocab: number; // V
  length: number; // T: the world's sequence length
  context: number; // rows of the position embedding (≥ T)
  d: number; // d_model
  heads: number; // H attention heads
  mlp: number; // MLP hidden width
  layers: number;
  bottleneck: number; // 0 = none
  tied: boolean;
  outHeads: number; // 1, or the number of trained environments
  gelu: boolean;
  initScale: number;
}

export function arch(spec: Omit<TransformerSpec, "kind">, shape: ModelShape): Arch {
  const context = spec.context || shape.input;
  if (!Number.isInteger(shape.input) || shape.input < 1) throw specError(`model (transformer): the world's sequence length must be a positive integer (got ${shape.input})`);
  if (shape.input > context) throw specError(`model.context: ${context} is shorter than the world's sequences (${shape.input} tokens); raise it or leave it 0`);
  if (spec.dModel % spec.heads !== 0) throw specError(`model.heads: ${spec.heads} attention heads do not divide dModel ${spec.dModel}`);
  const outHeads = spec.outputHeads === "per-env" ? shape.envs : 1;
  if (spec.tied && (outHeads > 1 || spec.bottleneck > 0))
    throw specError(`model.tied: a tied unembedding is the token embedding itself, so it cannot have ${outHeads > 1 ? "per-environment output heads" : "a bottleneck"}; set tied: false`);
  return {
    vocab: shape.classes, length: shape.input, context, d: spec.dModel, heads: spec.heads, mlp: spec.mlp || 4 * spec.dModel,
    layers: spec.layers, bottleneck: spec.bottleneck, tied: spec.tied, outHeads, gelu: spec.activation === "gelu", initScale: spec.initScale,
  };
}

/** Parameter tensors of one model as [name, shape, init std] (0 = zeros, −1 = ones), in init order. */
function layout(a: Arch): [string, number[], number][] {
  const { vocab: V, context: T, d, mlp: M, initScale: s } = a;
  const resid = s / Math.sqrt(2 * a.layers); // GPT-2: residual projections scaled by depth
  const out: [string, number[], number][] = [["tok", [V, d], s], ["pos", [T, d], s]];
  for (let l = 0; l < a.layers; l++)
    out.push(
      [`${l}.ln1.g`, [1, d], -1], [`${l}.ln1.b`, [1, d], 0],
      [`${l}.qkv.w`, [d, 3 * d], s], [`${l}.qkv.b`, [1, 3 * d], 0],
      [`${l}.out.w`, [d, d], resid], [`${l}.out.b`, [1, d], 0],
      [`${l}.ln2.g`, [1, d], -1], [`${l}.ln2.b`, [1, d], 0],
      [`${l}.up.w`, [d, M], s], [`${l}.up.b`, [1, M], 0],
      [`${l}.down.w`, [M, d], resid], [`${l}.down.b`, [1, d], 0],
    );
  out.push(["lnf.g", [1, d], -1], ["lnf.b", [1, d], 0]);
  if (a.bottleneck > 0) out.push(["bottleneck", [d, a.bottleneck], s]);
  if (!a.tied) out.push(["unembed", [a.bottleneck || d, a.outHeads * V], s]);
  return out;
}

export function paramCount(a: Arch): number {
  return layout(a).reduce((n, [, shape]) => n + shape.reduce((x, y) => x * y, 1), 0);
}

/** Seed g's tensors are drawn from Rng(runSeed, g, init) in layout order, so they do not depend on the other seeds. */
export function initParams(a: Arch, runSeed: number, seeds: number[]): Params {
  const S = seeds.length, L = layout(a);
  const data = L.map(([, shape]) => new Float32Array(S * shape.reduce((x, y) => x * y, 1)));
  seeds.forEach((g, s) => {
    const rng = new Rng(runSeed, g, STREAM.init);
    L.forEach(([, shape, std], i) => {
      const n = shape.reduce((x, y) => x * y, 1);
      if (std > 0) rng.fillNormal(data[i]!, std, s * n, n);
      else if (std < 0) data[i]!.fill(1, s * n, (s + 1) * n);
    });
  });
  const t: Record<string, np.Array> = {};
  L.forEach(([name, shape], i) => { t[name] = np.array(data[i]!).reshape([S, ...shape]); });
  const lin = (k: string): Lin => ({ w: t[`${k}.w`]!, b: t[`${k}.b`]! });
  const norm = (k: string): Norm => ({ g: t[`${k}.g`]!, b: t[`${k}.b`]! });
  const blocks = Array.from({ length: a.layers }, (_, l): Block => ({
    ln1: norm(`${l}.ln1`), qkv: lin(`${l}.qkv`), out: lin(`${l}.out`), ln2: norm(`${l}.ln2`), up: lin(`${l}.up`), down: lin(`${l}.down`),
  }));
  const p: Params = { tok: t.tok!, pos: t.pos!, blocks, lnf: norm("lnf") };
  if (t.bottleneck) p.bottleneck = t.bottleneck;
  if (t.unembed) p.unembed = t.unembed;
  return p;
}

/** LayerNorm over the last axis (ε 1e-5, as torch). Consumes h. h [S, N, d] → [S, N, d] */
function layerNorm(h: np.Array, n: Norm): np.Array {
  const c = h.ref.sub(h.mean(-1, { keepdims: true })); // [S, N, d]
  const inv = np.sqrt(c.ref.mul(c.ref).mean(-1, { keepdims: true }).add(1e-5)); // [S, N, 1]
  return c.div(inv).mul(n.g.ref).add(n.b.ref); // [S, N, d]
}

/** Additive causal mask [T, T]: 0 where key ≤ query, −1e9 above the diagonal (exp underflows to exactly 0). */
function causalMask(T: number): np.Array {
  return np.tri(T, T, 0).sub(1).mul(1e9); // [T, T]
}

export interface ForwardOpts {
  heads?: np.Array; // [1, B, outHeads, 1]
  dropout?: np.Array[]; // [embedding, then per block attention and MLP outputs], each [S, B·T, d], scaled by 1/(1−p)
  keepHidden?: boolean;
  l1?: boolean;
}

export interface ForwardOut { logits: np.Array; l1?: np.Array; hidden: np.Array[]; attention: np.Array[] }

/** Forward pass of one group of seeds. Borrows p (takes its own references), consumes x and opts' arrays. */
export function forward(a: Arch, p: Params, x: np.Array, o: ForwardOpts = {}): ForwardOut {
  const [Sx, B, T] = x.shape as [number, number, number];
  const S = p.tok.shape[0]!, V = a.vocab, d = a.d, H = a.heads, dh = d / H, N = B * T, dt = p.tok.dtype;
  if (T > a.context) throw specError(`model (transformer): a sequence of ${T} tokens exceeds the context of ${a.context}`);
  if (a.outHeads > 1 && !o.heads) throw new Error("transformer with outputHeads per-env: apply needs `heads` (each example's environment)");
  const hidden: np.Array[] = [], attention: np.Array[] = [];
  let l1: np.Array | undefined;
  const drop = (h: np.Array, i: number) => (o.dropout?.[i] ? h.mul(o.dropout[i]!) : h);
  const oneHot = np.equal(x.reshape([Sx, N, 1]), np.arange(V).reshape([1, 1, V])).astype(dt); // [Sx, B·T, V]
  let pos = p.pos.ref; // [S, context, d]
  if (T < a.context) pos = pos.slice([], [0, T]); // [S, T, d]
  let h = np.matmul(oneHot, p.tok.ref).reshape([S, B, T, d]).add(pos.reshape([S, 1, T, d])).reshape([S, N, d]); // [S, B·T, d]
  h = drop(h, 0);
  if (o.keepHidden) hidden.push(h.ref.reshape([S, B, T, d]));
  const mask = causalMask(T).astype(dt); // [T, T]
  p.blocks.forEach((blk, l) => {
    // Attention: queries, keys and values from one matmul, then per head softmax(q·kᵀ/√dh + mask)·v.
    const qkv = np.matmul(layerNorm(h.ref, blk.ln1), blk.qkv.w.ref).add(blk.qkv.b.ref); // [S, B·T, 3d]
    const heads = qkv.reshape([S, B, T, 3 * H, dh]).transpose([0, 1, 3, 2, 4]); // [S, B, 3H, T, dh]
    const [q, k, v] = np.split(heads, 3, 2) as [np.Array, np.Array, np.Array]; // [S, B, H, T, dh] each
    const scores = np.matmul(q, k.transpose([0, 1, 2, 4, 3])).mul(1 / Math.sqrt(dh)).add(mask.ref); // [S, B, H, T, T]
    const probs = nn.softmax(scores, -1); // [S, B, H, T, T]
    if (o.keepHidden) attention.push(probs.ref);
    const ctx = np.matmul(probs, v).transpose([0, 1, 3, 2, 4]).reshape([S, N, d]); // [S, B·T, d]
    h = h.add(drop(np.matmul(ctx, blk.out.w.ref).add(blk.out.b.ref), 1 + 2 * l)); // [S, B·T, d]
    // MLP.
    const pre = np.matmul(layerNorm(h.ref, blk.ln2), blk.up.w.ref).add(blk.up.b.ref); // [S, B·T, M]
    const act = a.gelu ? nn.gelu(pre) : nn.relu(pre); // [S, B·T, M]
    if (o.l1) {
      const term = np.abs(act.ref).mean([1, 2]); // [S]
      l1 = l1 ? l1.add(term) : term;
    }
    h = h.add(drop(np.matmul(act, blk.down.w.ref).add(blk.down.b.ref), 2 + 2 * l)); // [S, B·T, d]
    if (o.keepHidden) hidden.push(h.ref.reshape([S, B, T, d]));
  });
  mask.dispose();
  h = layerNorm(h, p.lnf); // [S, B·T, d]
  if (p.bottleneck) h = np.matmul(h, p.bottleneck.ref); // [S, B·T, k]
  let logits = a.tied ? np.matmul(h, p.tok.ref.transpose([0, 2, 1])) : np.matmul(h, p.unembed!.ref); // [S, B·T, outHeads·V]
  if (a.outHeads > 1) {
    const w = o.heads!.reshape([1, B, 1, a.outHeads, 1]); // [1, B, 1, outHeads, 1]
    logits = logits.reshape([S, B, T, a.outHeads, V]).mul(w).sum(3); // [S, B, T, V]: each example's own head
  } else {
    o.heads?.dispose();
    logits = logits.reshape([S, B, T, V]); // [S, B, T, V]
  }
  return { logits, l1, hidden, attention };
}

/** The transformer ensemble as a Model. */
export class Transformer implements Model<Params> {
  readonly arch: Arch;
  readonly heads: number;
  readonly hidden: number[];
  /** Run each seed as its own S = 1 graph inside the step (see apply); false: one graph batched over seeds (compiles faster, runs slower). */
  splitSeeds = true;
  constructor(readonly config: TransformerSpec, readonly shape: ModelShape) {
    this.arch = arch(config, shape);
    this.heads = this.arch.outHeads;
    this.hidden = Array.from({ length: this.arch.layers + 1 }, () => this.arch.d);
  }

  init(runSeed: number, seeds: number[]): Params {
    return initParams(this.arch, runSeed, seeds);
  }

  apply(p: Params, x: np.Array, o: ApplyOptions = {}): ApplyResult {
    const l1 = o.penalty === true && this.config.l1 > 0;
    const S = p.tok.shape[0]!;
    let out: ForwardOut;
    if (S < 2 || !this.splitSeeds) {
      out = forward(this.arch, p, x, { heads: o.heads, dropout: o.noise, keepHidden: o.keepHidden, l1 });
      tree.dispose(p); // apply consumes p, as the Model interface says (forward took its own references)
    } else {
      // One S = 1 graph per seed, joined at the end: the graph batched over the seed axis took
      // 1.45× the CPU time per model-step at S = 16 (1.8× under heavy load), though it compiles
      // 3× faster (4.5 s against 15 s at S = 16). Also makes each seed's numbers independent of
      // its neighbours bit for bit.
      const [leaves, def] = tree.flatten(p);
      const parts = leaves.map((t) => np.split(t, S, 0)); // per tensor, S × [1, ...]
      const xs = x.shape[0] === 1 ? Array.from({ length: S }, () => x.ref) : np.split(x.ref, S, 0); // S × [1, B, T]
      x.dispose();
      const noise = o.noise?.map((m) => np.split(m, S, 0)); // per site, S × [1, B·T, d]
      const outs = xs.map((xg, g) => {
        const pg = tree.unflatten(def, parts.map((t) => t[g]!)) as Params;
        const r = forward(this.arch, pg, xg, { heads: o.heads?.ref, dropout: noise?.map((m) => m[g]!), keepHidden: o.keepHidden, l1 });
        tree.dispose(pg);
        return r;
      });
      o.heads?.dispose();
      const cat = (a: np.Array[]) => np.concatenate(a, 0);
      out = {
        logits: cat(outs.map((r) => r.logits)), // [S, B, T, V]
        l1: l1 ? cat(outs.map((r) => r.l1!)) : undefined, // [S]
        hidden: outs[0]!.hidden.map((_, i) => cat(outs.map((r) => r.hidden[i]!))), // per representation [S, B, T, d]
        attention: outs[0]!.attention.map((_, i) => cat(outs.map((r) => r.attention[i]!))), // per layer [S, B, H, T, T]
      };
    }
    return { logits: out.logits, hidden: out.hidden, attention: out.attention, penalty: out.l1?.mul(this.config.l1) };
  }

  /** Inverted-dropout masks [embedding, per block attention and MLP outputs], each [S, B·T, d], from each seed's own stream. */
  trainNoise(runSeed: number, seeds: number[], step: number, B: number): np.Array[] | undefined {
    const p = this.config.dropout, keep = 1 / (1 - p), S = seeds.length, n = B * this.arch.length * this.arch.d;
    if (!(p > 0)) return undefined;
    return Array.from({ length: 1 + 2 * this.arch.layers }, (_, site) => {
      const m = new Float32Array(S * n);
      seeds.forEach((g, s) => {
        const rng = new Rng(runSeed, g, step, STREAM.dropout, site);
        for (let i = 0; i < n; i++) m[s * n + i] = rng.uniform() < p ? 0 : keep;
      });
      return np.array(m).reshape([S, B * this.arch.length, this.arch.d]);
    });
  }

  /**
   * Per seed, the weight each residual dimension has on the output, [S, d_model]: the row norm of
   * its map to the logits (bottleneck · unembedding, over every output head), times |its final
   * LayerNorm gain|. Borrows p.
   */
  readoutNorm(p: Params): Float32Array {
    const a = this.arch, S = p.tok.shape[0]!, d = a.d, V = a.vocab;
    const gain = p.lnf.g.ref.dataSync() as Float32Array; // [S, 1, d]
    let out: Float32Array, K: number; // out [S, d, K]: the residual's linear map to the logits
    if (a.tied) {
      const tok = p.tok.ref.dataSync() as Float32Array; // [S, V, d]
      [out, K] = [new Float32Array(S * d * V), V];
      for (let s = 0; s < S; s++) for (let v = 0; v < V; v++) for (let i = 0; i < d; i++) out[(s * d + i) * V + v] = tok[(s * V + v) * d + i]!;
    } else {
      const u = p.unembed!.ref.dataSync() as Float32Array; // [S, d or k, outHeads·V]
      K = a.outHeads * V;
      if (!p.bottleneck) out = u;
      else {
        const bn = p.bottleneck.ref.dataSync() as Float32Array, k = a.bottleneck; // [S, d, k]
        out = new Float32Array(S * d * K);
        for (let s = 0; s < S; s++) for (let i = 0; i < d; i++) for (let j = 0; j < k; j++) {
          const w = bn[(s * d + i) * k + j]!;
          for (let c = 0; c < K; c++) out[(s * d + i) * K + c]! += w * u[(s * k + j) * K + c]!;
        }
      }
    }
    const norm = new Float32Array(S * d);
    for (let r = 0; r < S * d; r++) {
      let n = 0;
      for (let c = 0; c < K; c++) n += out[r * K + c]! ** 2;
      norm[r] = Math.sqrt(n) * Math.abs(gain[r]!);
    }
    return norm;
  }

  /**
   * Floats one model's forward pass holds for `batch` sequences of the world's length T: the
   * one-hot input and the logits (B·T·V each, the logits per output head), per block the residual,
   * LayerNorm, qkv, context and MLP tensors (B·T·(8d + 2·mlp)), and the attention scores and
   * probabilities (2·B·H·T²): the term that grows with the square of the sequence.
   */
  activationFloats(batch: number): number {
    const a = this.arch, T = a.length, N = batch * T;
    const perBlock = N * (8 * a.d + 2 * a.mlp) + 2 * batch * a.heads * T * T;
    return N * a.vocab * (1 + a.outHeads) + N * (a.d + (a.bottleneck || 0)) + a.layers * perBlock;
  }

  paramCount(): number {
    return paramCount(this.arch);
  }
}

export const transformer = defineModel<TransformerSpec>({
  kind: "transformer",
  schema: transformerSchema,
  create: (config, shape) => new Transformer(config, shape),
});
