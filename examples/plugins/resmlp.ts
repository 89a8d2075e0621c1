// A plugin model: a residual MLP ensemble. An input projection to a residual stream of `width`,
// `blocks` blocks h ← h + W₂·relu(W₁·h), then a linear readout. Every parameter has a leading
// seed axis, so the S models train side by side in one batched matmul per layer.
import { nn, numpy as np } from "@jax-js/jax";
import { z } from "zod";
import { defineModel, Rng, STREAM, type ApplyOptions, type Model, type ModelShape } from "ecotone/extend";

export const resmlpDefaults = {
  width: 64, // width of the residual stream
  blocks: 2, // residual blocks (each a ReLU layer of the same width, added back to the stream)
};

const schema = z.strictObject({
  kind: z.literal("resmlp"),
  width: z.int().min(1).max(4096).default(resmlpDefaults.width),
  blocks: z.int().min(0).max(64).default(resmlpDefaults.blocks),
});
type Config = z.infer<typeof schema>;

type Dense = { w: np.Array; b: np.Array }; // w [S, in, out], b [S, 1, out]
type Params = { embed: Dense; blocks: { up: Dense; down: Dense }[]; readout: Dense };

class ResMlp implements Model<Params> {
  readonly heads = 1;
  readonly hidden: number[]; // the stream after the embedding and after each block
  constructor(readonly config: Config, readonly shape: ModelShape) {
    this.hidden = Array(config.blocks + 1).fill(config.width);
  }

  /** Layers in draw order: [fan_in, fan_out, std]. Residual branches start small so the stream keeps its scale. */
  private layers(): [number, number, number][] {
    const { width: H, blocks: L } = this.config, { input: D, classes: C } = this.shape;
    const block: [number, number, number][] = [[H, H, Math.sqrt(2 / H)], [H, H, Math.sqrt(1 / (H * Math.max(L, 1)))]];
    return [[D, H, Math.sqrt(1 / D)], ...Array.from({ length: L }, () => block).flat(), [H, C, Math.sqrt(1 / H)]];
  }

  init(runSeed: number, seeds: number[]): Params {
    const S = seeds.length, dims = this.layers();
    const ws = dims.map(([i, o]) => new Float32Array(S * i * o));
    seeds.forEach((g, s) => {
      const rng = new Rng(runSeed, g, STREAM.init); // seed g's draws depend on (runSeed, g) alone
      dims.forEach(([i, o, std], l) => rng.fillNormal(ws[l]!, std, s * i * o, i * o));
    });
    const dense = (l: number): Dense => {
      const [i, o] = dims[l]!;
      return { w: np.array(ws[l]!).reshape([S, i, o]), b: np.zeros([S, 1, o]) };
    };
    const L = this.config.blocks;
    return { embed: dense(0), blocks: Array.from({ length: L }, (_, k) => ({ up: dense(1 + 2 * k), down: dense(2 + 2 * k) })), readout: dense(1 + 2 * L) };
  }

  /** Consumes p and x ([S or 1, B, D]). */
  apply(p: Params, x: np.Array, o: ApplyOptions = {}) {
    o.heads?.dispose(); // one head: nothing to select
    const hidden: np.Array[] = [];
    let h = np.matmul(x, p.embed.w).add(p.embed.b); // [S, B, H]
    if (o.keepHidden) hidden.push(h.ref);
    for (const { up, down } of p.blocks) {
      const u = nn.relu(np.matmul(h.ref, up.w).add(up.b)); // [S, B, H]
      h = h.add(np.matmul(u, down.w).add(down.b)); // [S, B, H]
      if (o.keepHidden) hidden.push(h.ref);
    }
    return { logits: np.matmul(h, p.readout.w).add(p.readout.b), hidden }; // logits [S, B, C]
  }

  /** Per seed, the norm of each stream unit's readout weights: [S, H] (borrows p). */
  readoutNorm(p: Params): Float32Array {
    const w = p.readout.w.ref.dataSync() as Float32Array; // [S, H, C]
    const C = this.shape.classes, norm = new Float32Array(w.length / C);
    for (let i = 0; i < norm.length; i++) norm[i] = Math.hypot(...w.subarray(i * C, (i + 1) * C));
    return norm;
  }

  paramCount(): number {
    return this.layers().reduce((n, [i, o]) => n + i * o + o, 0);
  }
}

/** `model: { kind: resmlp, width: 64, blocks: 2 }`. */
export default defineModel<Config>({ kind: "resmlp", schema, create: (config, shape) => new ResMlp(config, shape) });
