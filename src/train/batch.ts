// Builds one step's batch on the JS side from per-seed counter-based streams: seed g's data at
// step t depends only on (run seed, g, t), never on which shard or worker trains it. Each
// objective in the run gets its own tensors, filled example by example by the objective itself.
import { numpy as np } from "@jax-js/jax";
import { Rng, STREAM } from "../util/rng.ts";
import type { RunPlan } from "./plan.ts";
import type { ObjectiveBatch, StepBatch } from "./step.ts";

export class BatchBuilder {
  private readonly S: number;
  private readonly B: number;
  private readonly C: number;
  private readonly D: number;
  private readonly assign: Int32Array;
  private readonly x: Float32Array;
  private readonly bufs = new Map<string, Record<string, Float32Array>>(); // per objective kind: its class tensors [S·B·C]
  private pools: { x: Float32Array; y: Int32Array }[] | undefined; // finite dataset: per env, fixed examples with fixed (noisy) labels
  private boot = new Map<string, Int32Array>(); // per (seed, env): bootstrap resample of the pool's indices

  constructor(private readonly plan: RunPlan, private readonly seeds: number[]) {
    this.S = seeds.length;
    this.B = plan.spec.train.batch;
    this.C = plan.world.classes;
    this.D = plan.world.inputDim;
    this.assign = new Int32Array(this.B);
    this.x = new Float32Array(this.S * this.B * this.D);
    for (const d of plan.kinds)
      this.bufs.set(d.kind, Object.fromEntries(Object.entries(d.tensors).filter(([, k]) => k === "class").map(([name]) => [name, new Float32Array(this.S * this.B * this.C)])));
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

  /** Environment of each example of step t (shared by all seeds). */
  envs(step: number): Int32Array {
    this.plan.schedule.assign(step, this.assign);
    return this.assign;
  }

  build(step: number): StepBatch {
    const { plan, S, B, C, D, x } = this;
    const { world, objectives } = plan;
    const assign = this.envs(step);
    for (const t of this.bufs.values()) for (const b of Object.values(t)) b.fill(0);
    this.seeds.forEach((g, s) => {
      const rng = new Rng(plan.spec.seed, g, step, STREAM.data);
      const noise = new Rng(plan.spec.seed, g, step, STREAM.gumbel);
      for (let b = 0; b < B; b++) {
        const e = assign[b]!;
        const row = s * B + b;
        const y = this.pools ? this.fromPool(g, e, rng, row) : world.noisy(world.sample(e, rng, x, row * D), rng);
        const { def, config } = objectives[e]!;
        def.fill?.({ config, y, C, o: row * C, t: this.bufs.get(def.kind)!, rng, noise });
      }
    });
    const perExample = (f: (e: number) => number) => np.array(Float32Array.from(assign, f)).reshape([1, B]);
    const obj: Record<string, ObjectiveBatch> = {};
    for (const d of plan.kinds) {
      const mine = (e: number) => objectives[e]!.def === d;
      const t: Record<string, np.Array> = {};
      for (const [name, kind] of Object.entries(d.tensors))
        t[name] = kind === "class"
          ? np.array(this.bufs.get(d.kind)![name]!).reshape([S, B, C])
          : perExample((e) => (mine(e) ? d.example!(objectives[e]!.config)[name]! : 0));
      obj[d.kind] = { mask: perExample((e) => +mine(e)), t };
    }
    const batch: StepBatch = { x: np.array(x).reshape([S, B, D]), obj };
    if (plan.model.heads > 1) batch.heads = headWeights(plan.model.heads, assign);
    const noise = plan.model.trainNoise?.(plan.spec.seed, this.seeds, step, B);
    if (noise) batch.noise = noise;
    return batch;
  }
}

/** The finite dataset of trained env e: part of the world, the same for every seed and run of it. */
export function datasetPool(plan: RunPlan, e: number): { x: Float32Array; y: Int32Array } {
  const P = plan.spec.train.dataset, D = plan.world.inputDim;
  const rng = new Rng(plan.world.seed, STREAM.data, e, 0x9001);
  const pool = { x: new Float32Array(P * D), y: new Int32Array(P) };
  for (let i = 0; i < P; i++) pool.y[i] = plan.world.noisy(plan.world.sample(e, rng, pool.x, i * D), rng);
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
