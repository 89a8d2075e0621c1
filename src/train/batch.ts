// Builds one step's batch on the JS side from per-seed counter-based streams: seed g's data at
// step t depends only on (run seed, g, t), never on which shard or worker trains it. Each
// objective in the run gets its own tensors, filled example by example by the objective itself.
import { numpy as np } from "@jax-js/jax";
import { Rng, STREAM } from "../util/rng.ts";
import type { RunPlan } from "./plan.ts";
import type { ObjectiveBatch, StepBatch } from "./step.ts";

/** One step's batch as host arrays: x [S·B·D]; per objective kind its mask [B] and tensors ("class" [S·B·C], "example" [B]). */
export interface RawBatch {
  x: Float32Array;
  assign: Int32Array; // [B] environment of each example
  obj: Record<string, { mask: Float32Array; t: Record<string, Float32Array> }>;
}

export class BatchBuilder {
  private readonly S: number;
  private readonly B: number;
  private readonly C: number;
  private readonly D: number;
  private readonly assign: Int32Array;
  private readonly x: Float32Array;
  private readonly bufs = new Map<string, Record<string, Float32Array>>(); // per objective kind: its class tensors [S·B·C] (sequence worlds [S·B·L·C])
  private readonly L: number; // rows per example in the class tensors: completion tokens (1: one answer per input)
  private pools: { x: Float32Array; y: Int32Array }[] | undefined; // finite dataset: per env, fixed examples with fixed (noisy) labels
  private boot = new Map<string, Int32Array>(); // per (seed, env): bootstrap resample of the pool's indices

  constructor(private readonly plan: RunPlan, private readonly seeds: number[]) {
    this.S = seeds.length;
    this.B = plan.spec.train.batch;
    this.C = plan.world.classes;
    this.D = plan.world.inputDim;
    this.assign = new Int32Array(this.B);
    this.x = new Float32Array(this.S * this.B * this.D);
    this.L = plan.world.sequence?.completion ?? 1;
    for (const d of plan.kinds)
      this.bufs.set(d.kind, Object.fromEntries(Object.entries(d.tensors).filter(([, k]) => k === "class").map(([name]) => [name, new Float32Array(this.S * this.B * this.L * this.C)])));
    const P = plan.spec.train.dataset;
    if (P > 0) this.pools = plan.envNames.map((_, e) => datasetPool(plan, e));
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

  /**
   * A sequence world's example: the prompt and (noisy) teacher completion into x (teacher
   * forcing), then the objective fills one class-tensor row per completion token, in order.
   */
  private sequenceRow(g: number, e: number, rng: Rng, noise: Rng, row: number): void {
    const { plan, x, D, C, L } = this;
    const { world, objectives } = plan;
    const P = world.sequence!.prompt;
    if (this.pools) this.fromPool(g, e, rng, row); // the pool's completions are already noisy
    else {
      world.sample(e, rng, x, row * D);
      for (let l = 0; l < L; l++) x[row * D + P + l] = world.noisy(x[row * D + P + l]!, rng);
    }
    const { def, config } = objectives[e]!;
    for (let l = 0; l < L; l++)
      def.fill?.({ config, y: x[row * D + P + l]!, C, o: (row * L + l) * C, t: this.bufs.get(def.kind)!, rng, noise, pos: l });
  }

  /** Environment of each example of step t (shared by all seeds). */
  envs(step: number): Int32Array {
    this.plan.schedule.assign(step, this.assign);
    return this.assign;
  }

  build(step: number): StepBatch {
    const { plan, S, B, C } = this;
    const raw = this.raw(step);
    const obj: Record<string, ObjectiveBatch> = {};
    for (const d of plan.kinds) {
      const r = raw.obj[d.kind]!, t: Record<string, np.Array> = {};
      for (const [name, kind] of Object.entries(d.tensors)) t[name] = np.array(r.t[name]!).reshape(kind !== "class" ? [1, B] : plan.world.sequence ? [S, B, this.L, C] : [S, B, C]);
      obj[d.kind] = { mask: np.array(r.mask).reshape([1, B]), t };
    }
    const batch: StepBatch = { x: np.array(raw.x).reshape([S, B, this.D]), obj };
    if (plan.model.heads > 1) batch.heads = headWeights(plan.model.heads, raw.assign);
    const noise = plan.model.trainNoise?.(plan.spec.seed, this.seeds, step, B);
    if (noise) batch.noise = noise;
    return batch;
  }

  /**
   * Step t's batch as host arrays, the numbers `build` hands the jitted step (the fused kernel
   * reads these): views of buffers reused by the next call. The model's training noise is not included.
   */
  raw(step: number): RawBatch {
    const { plan, B, C, D, x } = this;
    const { world, objectives } = plan;
    const assign = this.envs(step);
    for (const t of this.bufs.values()) for (const b of Object.values(t)) b.fill(0);
    this.seeds.forEach((g, s) => {
      const rng = new Rng(plan.spec.seed, g, step, STREAM.data);
      const noise = new Rng(plan.spec.seed, g, step, STREAM.gumbel);
      for (let b = 0; b < B; b++) {
        const e = assign[b]!;
        const row = s * B + b;
        if (world.sequence) { this.sequenceRow(g, e, rng, noise, row); continue; }
        const y = this.pools ? this.fromPool(g, e, rng, row) : world.noisy(world.sample(e, rng, x, row * D), rng);
        const { def, config } = objectives[e]!;
        def.fill?.({ config, y, C, o: row * C, t: this.bufs.get(def.kind)!, rng, noise });
      }
    });
    const perExample = (f: (e: number) => number) => Float32Array.from(assign, f); // [B]
    const obj: RawBatch["obj"] = {};
    for (const d of plan.kinds) {
      const mine = (e: number) => objectives[e]!.def === d;
      const t: Record<string, Float32Array> = {};
      for (const [name, kind] of Object.entries(d.tensors))
        t[name] = kind === "class" ? this.bufs.get(d.kind)![name]! : perExample((e) => (mine(e) ? d.example!(objectives[e]!.config)[name]! : 0));
      obj[d.kind] = { mask: perExample((e) => +mine(e)), t };
    }
    return { x, assign, obj };
  }
}

/** The finite dataset of trained env e: part of the world, the same for every seed and run of it. */
export function datasetPool(plan: RunPlan, e: number): { x: Float32Array; y: Int32Array } {
  const P = plan.spec.train.dataset, D = plan.world.inputDim;
  const rng = new Rng(plan.world.seed, STREAM.data, e, 0x9001);
  const pool = { x: new Float32Array(P * D), y: new Int32Array(P) };
  const seq = plan.world.sequence;
  for (let i = 0; i < P; i++) {
    if (!seq) { pool.y[i] = plan.world.noisy(plan.world.sample(e, rng, pool.x, i * D), rng); continue; }
    pool.y[i] = plan.world.sample(e, rng, pool.x, i * D); // a sequence world's targets are its (noisy) completion tokens in x
    for (let l = 0, o = i * D + seq.prompt; l < seq.completion; l++) pool.x[o + l] = plan.world.noisy(pool.x[o + l]!, rng);
  }
  return pool;
}

/** [1, M, heads, 1]: one-hot head per example; novel environments (index ≥ heads) average all heads. */
export function headWeights(H: number, envs: ArrayLike<number>): np.Array {
  const M = envs.length;
  const w = new Float32Array(M * H);
  for (let m = 0; m < M; m++) {
    const e = envs[m]!;
    if (e < H) w[m * H + e] = 1;
    else w.fill(1 / H, m * H, (m + 1) * H);
  }
  return np.array(w).reshape([1, M, H, 1]);
}
