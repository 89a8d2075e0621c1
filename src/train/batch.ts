// Builds one step's batch on the JS side from per-seed counter-based streams: seed g's data at
// step t depends only on (run seed, g, t), never on which shard or worker trains it.
import { numpy as np } from "@jax-js/jax";
import type { ObjectiveInputs } from "../objectives/index.ts";
import { Rng, STREAM } from "../util/rng.ts";
import type { StepBatch } from "./step.ts";
import type { RunPlan } from "./plan.ts";

export class BatchBuilder {
  private readonly S: number;
  private readonly B: number;
  private readonly C: number;
  private readonly D: number;
  private readonly assign: Int32Array;
  private readonly x: Float32Array;
  private readonly bufs: Record<string, Float32Array> = {};
  private pools: { x: Float32Array; y: Int32Array }[] | undefined; // finite dataset: per env, fixed examples with fixed (noisy) labels
  private boot = new Map<string, Int32Array>(); // per (seed, env): bootstrap resample of the pool's indices

  constructor(private readonly plan: RunPlan, private readonly seeds: number[]) {
    this.S = seeds.length;
    this.B = plan.spec.train.batch;
    this.C = plan.spec.world.classes;
    this.D = plan.world.inputDim;
    this.assign = new Int32Array(this.B);
    this.x = new Float32Array(this.S * this.B * this.D);
    const P = plan.spec.train.dataset;
    if (P > 0)
      this.pools = plan.envNames.map((_, e) => {
        // The pool is part of the world: the same for every seed and run of this world.
        const rng = new Rng(plan.spec.world.seed, STREAM.data, e, 0x9001);
        const pool = { x: new Float32Array(P * this.D), y: new Int32Array(P) };
        for (let i = 0; i < P; i++) pool.y[i] = plan.world.noisy(plan.world.sample(e, rng, pool.x, i * this.D), rng);
        return pool;
      });
  }

  /** Copies a uniformly drawn pool example of env e into batch row `row`; returns its label. */
  private fromPool(g: number, e: number, rng: Rng, row: number): number {
    const pool = this.pools![e]!, P = pool.y.length;
    let i = rng.int(P);
    if (this.plan.spec.train.bootstrap) {
      const key = `${g}|${e}`;
      let idx = this.boot.get(key);
      if (!idx) {
        const b = new Rng(this.plan.spec.seed, g, STREAM.bootstrap, e);
        idx = Int32Array.from({ length: P }, () => b.int(P));
        this.boot.set(key, idx);
      }
      i = idx[i]!;
    }
    this.x.set(pool.x.subarray(i * this.D, (i + 1) * this.D), row * this.D);
    return pool.y[i]!;
  }

  private buf(name: string, size: number): Float32Array {
    const b = (this.bufs[name] ??= new Float32Array(size));
    b.fill(0);
    return b;
  }

  /** Environment of each example of step t (shared by all seeds). */
  envs(step: number): Int32Array {
    this.plan.schedule.assign(step, this.assign);
    return this.assign;
  }

  build(step: number): StepBatch {
    const { plan, S, B, C, D, x } = this;
    const { world, objectives, kinds } = plan;
    const assign = this.envs(step);
    const SBC = S * B * C;
    const target = kinds.has("sft") ? this.buf("target", SBC) : undefined;
    const rewards = kinds.has("reward") ? this.buf("rewards", SBC) : undefined;
    const gumbel = kinds.has("reward") ? this.buf("gumbel", SBC) : undefined;
    const chosen = kinds.has("preference") ? this.buf("chosen", SBC) : undefined;
    const rejected = kinds.has("preference") ? this.buf("rejected", SBC) : undefined;
    this.seeds.forEach((g, s) => {
      const rng = new Rng(plan.spec.seed, g, step, STREAM.data);
      const noise = new Rng(plan.spec.seed, g, step, STREAM.gumbel);
      for (let b = 0; b < B; b++) {
        const e = assign[b]!;
        const row = s * B + b;
        const y = this.pools ? this.fromPool(g, e, rng, row) : world.noisy(world.sample(e, rng, x, row * D), rng);
        const o = row * C;
        const obj = objectives[e]!;
        if (obj.kind === "sft") target![o + y] = 1;
        else if (obj.kind === "reward") {
          rewards![o + y] = 1; // reward 1 for the (possibly noisy) teacher's answer, 0 otherwise
          for (let c = 0; c < C; c++) gumbel![o + c] = noise.gumbel();
        } else {
          chosen![o + y] = 1;
          rejected![o + ((y + 1 + rng.int(C - 1)) % C)] = 1; // a uniformly random other answer
        }
      }
    });
    const perExample = (f: (e: number) => number) => np.array(Float32Array.from(assign, f)).reshape([1, B]);
    const obj: ObjectiveInputs = { mask: {} };
    const shape = [S, B, C];
    if (target) [obj.mask.sft, obj.target] = [perExample((e) => +(objectives[e]!.kind === "sft")), np.array(target).reshape(shape)];
    if (rewards) {
      obj.mask.reward = perExample((e) => +(objectives[e]!.kind === "reward"));
      obj.rewards = np.array(rewards).reshape(shape);
      obj.gumbel = np.array(gumbel!).reshape(shape);
      obj.useBaseline = perExample((e) => { const o = objectives[e]!; return +(o.kind === "reward" && o.baseline === "mean"); });
    }
    if (chosen) {
      obj.mask.preference = perExample((e) => +(objectives[e]!.kind === "preference"));
      obj.chosen = np.array(chosen).reshape(shape);
      obj.rejected = np.array(rejected!).reshape(shape);
      obj.beta = perExample((e) => { const o = objectives[e]!; return o.kind === "preference" ? o.beta : 0; });
    }
    const batch: StepBatch = { x: np.array(x).reshape([S, B, D]), obj };
    if (plan.arch.heads > 1) batch.heads = this.headWeights(assign);
    if (plan.spec.model.dropout > 0) batch.dropout = this.dropoutMasks(step);
    return batch;
  }

  /** [1, M, heads, 1]: one-hot head per example; novel environments average all heads. */
  headWeights(envs: ArrayLike<number>): np.Array {
    const H = this.plan.arch.heads, M = envs.length;
    const w = new Float32Array(M * H);
    for (let m = 0; m < M; m++) {
      const e = envs[m]!;
      if (e < H) w[m * H + e] = 1;
      else w.fill(1 / H, m * H, (m + 1) * H);
    }
    return np.array(w).reshape([1, M, H, 1]);
  }

  /** Inverted-dropout masks per ReLU layer, [S, B, width], from each seed's own stream. */
  private dropoutMasks(step: number): np.Array[] {
    const { plan, S, B } = this;
    const p = plan.spec.model.dropout, keep = 1 / (1 - p);
    return plan.arch.widths.flatMap((w, l) => {
      if (!plan.arch.relu[l]) return [];
      const m = new Float32Array(S * B * w);
      this.seeds.forEach((g, s) => {
        const rng = new Rng(plan.spec.seed, g, step, STREAM.dropout, l);
        for (let i = 0; i < B * w; i++) m[s * B * w + i] = rng.uniform() < p ? 0 : keep;
      });
      return [np.array(m).reshape([S, B, w])];
    });
  }
}
