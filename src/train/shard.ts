// Trains one shard of an ensemble (a contiguous range of seeds) from start to finish, as a
// stream of events. The same generator runs in-process or inside a worker thread.
import { numpy as np, tree } from "@jax-js/jax";
import { initParams, type Params } from "../models/mlp.ts";
import { BatchBuilder } from "./batch.ts";
import { initOptState, type OptState } from "./optim.ts";
import type { RunPlan } from "./plan.ts";
import { buildEval, buildStep, type EvalFn, type StepFn } from "./step.ts";

export type ShardEvent =
  | { type: "progress"; step: number }
  | { type: "diverged"; seed: number; step: number; env: string; what: string }
  | { type: "checkpoint"; step: number; metrics: Record<string, Float64Array>; state?: Float32Array };

type Model = { params: Params; opt: OptState; ref?: Params };

export class ShardTrainer {
  readonly seeds: number[];
  private readonly plan: RunPlan;
  private readonly batches: BatchBuilder;
  private readonly stepFn: StepFn;
  private readonly evalFn: EvalFn;
  private model: Model;
  private readonly diverged: (number | undefined)[]; // step at which each seed diverged
  private lossSum: Float64Array;
  private lossCount = 0;
  private probeX: np.Array;
  private probeHeads: np.Array | undefined;
  private readonly phaseStarts: Set<number>;

  constructor(plan: RunPlan, seeds: number[]) {
    const { spec, arch } = plan;
    this.plan = plan;
    this.seeds = seeds;
    this.batches = new BatchBuilder(plan, seeds);
    this.stepFn = buildStep({ arch, optim: spec.train, objectives: plan.kinds, dropout: spec.model.dropout > 0, l1: spec.model.l1 });
    this.evalFn = buildEval(arch, false);
    const params = initParams(arch, spec.seed, seeds);
    this.model = { params, opt: initOptState(spec.train, params) };
    this.diverged = seeds.map(() => undefined);
    this.lossSum = new Float64Array(seeds.length);
    const { probes } = plan;
    this.probeX = np.array(probes.x).reshape([1, probes.envs * probes.n, arch.input]);
    const probeEnvs = Int32Array.from({ length: probes.envs * probes.n }, (_, m) => Math.floor(m / probes.n));
    this.probeHeads = arch.heads > 1 ? this.batches.headWeights(probeEnvs, true) : undefined;
    this.phaseStarts = new Set(plan.schedule.phases.map((p) => p.start));
  }

  /** Trains steps [from, to), yielding progress, divergences and every checkpoint in between. */
  *run(from: number, to = this.plan.spec.train.steps, wantState = false): Generator<ShardEvent> {
    const cps = new Set(this.plan.checkpoints);
    if (from === 0 && cps.has(0)) yield this.checkpoint(0, false);
    for (let t = from; t < to; t++) {
      yield* this.step(t);
      if (cps.has(t + 1)) yield this.checkpoint(t + 1, wantState);
      if ((t + 1) % 10 === 0 || t + 1 === to) yield { type: "progress", step: t + 1 };
    }
  }

  /** One training step t (0-based). Yields a divergence event for each seed whose loss turns non-finite. */
  *step(t: number): Generator<ShardEvent> {
    const { plan } = this;
    if (plan.kinds.has("preference") && this.phaseStarts.has(t)) {
      // DPO's reference policy is the model as it stood when this phase began.
      if (this.model.ref) tree.dispose(this.model.ref);
      this.model.ref = tree.ref(this.model.params);
    }
    const batch = this.batches.build(t);
    const ref = this.model.ref ? { p: tree.ref(this.model.ref) } : {};
    const [params, opt, lossArr] = this.stepFn(this.model.params, this.model.opt, ref, batch, np.array(t + 1));
    this.model.params = params;
    this.model.opt = opt;
    const perExample = lossArr.dataSync() as Float32Array; // [S, B]
    const B = plan.spec.train.batch;
    this.lossCount++;
    for (let s = 0; s < this.seeds.length; s++) {
      let l = 0;
      for (let b = 0; b < B; b++) l += perExample[s * B + b]!;
      l /= B;
      this.lossSum[s]! += l;
      if (!Number.isFinite(l) && this.diverged[s] === undefined) {
        this.diverged[s] = t;
        yield { type: "diverged", seed: this.seeds[s]!, step: t, env: this.envLabel(t), what: `${Number.isNaN(l) ? "NaN" : "inf"} loss` };
      }
    }
  }

  private envLabel(t: number): string {
    const e = this.plan.schedule.sequence[t]!;
    return e >= 0 ? this.plan.envNames[e]! : "mixture";
  }

  /** Evaluates every probe set; returns per-seed metrics (NaN for diverged seeds). */
  checkpoint(step: number, wantState: boolean): ShardEvent {
    const { probes, allEnvNames } = this.plan;
    const S = this.seeds.length, C = this.plan.spec.world.classes, N = probes.n;
    const [probsArr, hidden] = this.evalFn(tree.ref(this.model.params), this.probeX.ref, this.probeHeads ? { w: this.probeHeads.ref } : {});
    tree.dispose(hidden);
    const probs = probsArr.dataSync() as Float32Array; // [S, envs·N, C]
    const metrics: Record<string, Float64Array> = {};
    allEnvNames.forEach((name, e) => {
      const acc = new Float64Array(S), reward = new Float64Array(S), loss = new Float64Array(S);
      for (let s = 0; s < S; s++) {
        let hits = 0, pr = 0, nll = 0;
        for (let i = 0; i < N; i++) {
          const o = ((s * probes.envs + e) * N + i) * C, y = probes.labels[e * N + i]!;
          let best = 0;
          for (let c = 1; c < C; c++) if (probs[o + c]! > probs[o + best]!) best = c;
          hits += +(best === y);
          pr += probs[o + y]!;
          nll -= Math.log(Math.max(probs[o + y]!, 1e-30));
        }
        const dead = this.diverged[s] !== undefined || !Number.isFinite(pr);
        acc[s] = dead ? NaN : hits / N; // greedy accuracy against the clean teacher
        reward[s] = dead ? NaN : pr / N; // expected 0/1 reward of the stochastic policy
        loss[s] = dead ? NaN : nll / N; // cross-entropy on the clean label
      }
      metrics[`perf/acc:${name}`] = acc;
      metrics[`perf/reward:${name}`] = reward;
      metrics[`perf/loss:${name}`] = loss;
    });
    const trainLoss = new Float64Array(S);
    for (let s = 0; s < S; s++) trainLoss[s] = this.diverged[s] !== undefined || !this.lossCount ? NaN : this.lossSum[s]! / this.lossCount;
    metrics["train/loss"] = trainLoss;
    this.lossSum = new Float64Array(S);
    this.lossCount = 0;
    return { type: "checkpoint", step, metrics, state: wantState ? this.state() : undefined };
  }

  private leaves(): np.Array[] {
    return tree.leaves({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} }) as np.Array[];
  }

  /** Everything needed to resume, laid out seed by seed: [seed][leaf values…], then divergence steps. */
  state(): Float32Array {
    const leaves = this.leaves().map((a) => a.ref.dataSync() as Float32Array);
    const S = this.seeds.length;
    const per = leaves.reduce((n, l) => n + l.length / S, 0) + 1;
    const out = new Float32Array(S * per);
    for (let s = 0; s < S; s++) {
      let o = s * per;
      for (const l of leaves) {
        const k = l.length / S;
        out.set(l.subarray(s * k, (s + 1) * k), o);
        o += k;
      }
      out[o] = this.diverged[s] ?? -1;
    }
    return out;
  }

  /** Restores a state written by state() (for these seeds), as it stood after step `step`. */
  restore(state: Float32Array, step: number): void {
    if (this.plan.kinds.has("preference") && !this.model.ref) this.model.ref = tree.ref(this.model.params);
    const leaves = this.leaves();
    const S = this.seeds.length;
    const sizes = leaves.map((a) => a.size / S);
    const per = sizes.reduce((a, b) => a + b, 0) + 1;
    if (state.length !== S * per) throw new Error(`saved state has ${state.length} values, expected ${S * per}`);
    const fresh = sizes.map((k) => new Float32Array(S * k));
    for (let s = 0; s < S; s++) {
      let o = s * per;
      sizes.forEach((k, i) => { fresh[i]!.set(state.subarray(o, o + k), s * k); o += k; });
      const d = state[o]!;
      this.diverged[s] = d >= 0 ? d : undefined;
    }
    const [, def] = tree.flatten({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} });
    const arrays = fresh.map((f, i) => np.array(f).reshape(leaves[i]!.shape));
    tree.dispose({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} });
    const m = tree.unflatten(def, arrays) as { p: Params; o: OptState; r: Params | {} };
    this.model = { params: m.p, opt: m.o, ref: "layers" in m.r ? m.r : undefined };
    void step;
  }
}
