// Trains one shard of an ensemble (a contiguous range of seeds) from start to finish, as a
// stream of events. The same generator runs in-process or inside a worker thread.
import { numpy as np, tree } from "@jax-js/jax";
import { weightedSum } from "../metrics/weightedsum.ts";
import { SeedMeasures } from "../metrics/measure.ts";
import { initParams, type Params } from "../models/mlp.ts";
import { BatchBuilder } from "./batch.ts";
import { initOptState, type OptState } from "./optim.ts";
import type { RunPlan } from "./plan.ts";
import { buildEval, buildProbeGrad, buildStep, type EvalFn, type ProbeGradFn, type StepFn } from "./step.ts";

export type ShardEvent =
  | { type: "progress"; step: number }
  | { type: "diverged"; seed: number; step: number; env: string; what: string }
  | { type: "checkpoint"; step: number; metrics: Record<string, Float64Array>; state?: Float32Array };

type Model = { params: Params; opt: OptState; ref?: Params };

/** Final probe outputs of the weighted-sum baselines, [S, envs·N, C] for the whole ensemble, same seeds. */
export interface Reference {
  mixture?: Float32Array; // the stationary-mixture model
  specialists?: Float32Array[]; // one per trained environment, trained on it alone
}

export class ShardTrainer {
  readonly seeds: number[];
  private readonly plan: RunPlan;
  private readonly batches: BatchBuilder;
  private readonly stepFn: StepFn;
  private readonly evalFn: EvalFn;
  private readonly evalHidden: EvalFn;
  private readonly probeGrad: ProbeGradFn | undefined;
  private readonly measures: SeedMeasures;
  private cfX: np.Array;
  private cfHeads: np.Array | undefined;
  private envProbes: { x: np.Array; y: np.Array; heads?: np.Array }[];
  private model: Model;
  private readonly diverged: (number | undefined)[]; // step at which each seed diverged
  private lossSum: Float64Array;
  private lossCount = 0;
  private probeX: np.Array;
  private probeHeads: np.Array | undefined;
  private readonly phaseStarts: Set<number>;

  private readonly reference: Reference | undefined; // sliced to this shard's seeds

  constructor(plan: RunPlan, seeds: number[], reference?: Reference) {
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
    this.probeHeads = arch.heads > 1 ? this.batches.headWeights(probeEnvs) : undefined;
    this.phaseStarts = new Set(plan.schedule.phases.map((p) => p.start));
    const per = probes.envs * probes.n * spec.world.classes, mine = (a: Float32Array) => a.slice(seeds[0]! * per, (seeds[seeds.length - 1]! + 1) * per);
    this.reference = reference && { mixture: reference.mixture && mine(reference.mixture), specialists: reference.specialists?.map(mine) };

    // Counterfactual probes (every content under every trained cue) and per-environment probe sets.
    const E = plan.world.trained, N = probes.n, C = spec.world.classes;
    this.evalHidden = buildEval(arch, true);
    this.cfX = np.array(probes.cf).reshape([1, E * N, arch.input]);
    this.cfHeads = arch.heads > 1 ? this.batches.headWeights(Int32Array.from({ length: E * N }, (_, m) => Math.floor(m / N))) : undefined;
    this.measures = new SeedMeasures(
      { S: seeds.length, E, N, C, widths: arch.widths, mechN: Math.min(spec.metrics.mechanismProbes, N) },
      probes.cfLabels, plan.windowSteps,
    );
    this.probeGrad = spec.metrics.conflict && E > 1 ? buildProbeGrad(arch) : undefined;
    this.envProbes = !this.probeGrad ? [] : Array.from({ length: E }, (_, e) => {
      const y = new Float32Array(N * C);
      for (let i = 0; i < N; i++) y[i * C + probes.labels[e * N + i]!] = 1;
      return {
        x: np.array(probes.x.subarray(e * N * arch.input, (e + 1) * N * arch.input)).reshape([1, N, arch.input]),
        y: np.array(y).reshape([1, N, C]),
        heads: arch.heads > 1 ? this.batches.headWeights(new Int32Array(N).fill(e)) : undefined,
      };
    });
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
    const probs = this.outputs(); // [S, envs·N, C]
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
    Object.assign(metrics, this.measure(step));
    if (this.reference) {
      const { probes, world } = this.plan;
      const ws = weightedSum(probs, this.reference, { S, C, N, E: probes.envs, trained: world.trained, labels: probes.labels, names: allEnvNames });
      for (const v of Object.values(ws)) this.diverged.forEach((d, s) => { if (d !== undefined) v[s] = NaN; });
      Object.assign(metrics, ws);
    }
    const trainLoss = new Float64Array(S);
    for (let s = 0; s < S; s++) trainLoss[s] = this.diverged[s] !== undefined || !this.lossCount ? NaN : this.lossSum[s]! / this.lossCount;
    metrics["train/loss"] = trainLoss;
    this.lossSum = new Float64Array(S);
    this.lossCount = 0;
    return { type: "checkpoint", step, metrics, state: wantState ? this.state() : undefined };
  }

  /** The current ensemble parameters, borrowed: take `tree.ref` to keep them past the next step. */
  params(): Params {
    return this.model.params;
  }

  /** Frees every array this trainer holds. */
  dispose(): void {
    tree.dispose([this.model.params, this.model.opt, this.model.ref ?? [], this.probeX, this.probeHeads ?? [], this.cfX, this.cfHeads ?? [], this.envProbes]);
  }

  /** The models' output distributions on every probe set: [S, envs·N, C]. */
  outputs(): Float32Array {
    const [probs, hidden] = this.evalFn(tree.ref(this.model.params), this.probeX.ref, this.probeHeads ? { w: this.probeHeads.ref } : {});
    tree.dispose(hidden);
    return probs.dataSync() as Float32Array;
  }

  /** The behavioural and mechanism metrics of this checkpoint (NaN for diverged seeds). */
  private measure(step: number): Record<string, Float64Array> {
    const { plan } = this;
    const S = this.seeds.length, E = plan.world.trained, N = plan.probes.n, mechN = Math.min(plan.spec.metrics.mechanismProbes, N);
    const [cfArr, hiddenArr] = this.evalHidden(tree.ref(this.model.params), this.cfX.ref, this.cfHeads ? { w: this.cfHeads.ref } : {});
    const cf = cfArr.dataSync() as Float32Array; // [S, E·N, C]
    // Keep the first mechN contents of every cue variant: [S, E·mechN, width].
    const hidden = hiddenArr.map((h, l) => {
      const W = plan.arch.widths[l]!, all = h.dataSync() as Float32Array, out = new Float32Array(S * E * mechN * W);
      for (let s = 0; s < S; s++) for (let e = 0; e < E; e++)
        out.set(all.subarray(((s * E + e) * N) * W, ((s * E + e) * N + mechN) * W), ((s * E + e) * mechN) * W);
      return out;
    });
    const head = this.model.params.head.w.ref.dataSync() as Float32Array; // [S, H, heads·C]
    const H = plan.arch.widths[plan.arch.widths.length - 1]!, K = head.length / (S * H);
    const headNorm = new Float32Array(S * H);
    for (let i = 0; i < S * H; i++) {
      let n = 0;
      for (let k = 0; k < K; k++) n += head[i * K + k]! ** 2;
      headNorm[i] = Math.sqrt(n);
    }
    const out = this.measures.measure({ step, cf, hidden, headNorm, conflict: this.conflict() });
    for (let s = 0; s < S; s++) if (this.diverged[s] !== undefined) for (const v of Object.values(out)) v[s] = NaN;
    return out;
  }

  /** Mean pairwise cosine between the environments' gradients, per seed. */
  private conflict(): Float64Array | undefined {
    if (!this.probeGrad) return undefined;
    const S = this.seeds.length;
    const grads = this.envProbes.map((p) => (tree.leaves(this.probeGrad!(tree.ref(this.model.params), p.x.ref, p.y.ref, p.heads ? { w: p.heads.ref } : {})) as np.Array[]).map((g) => g.dataSync() as Float32Array));
    const E = grads.length, out = new Float64Array(S);
    const dot = (a: Float32Array[], b: Float32Array[], s: number) => {
      let d = 0;
      a.forEach((leaf, i) => { const k = leaf.length / S, o = s * k; for (let j = 0; j < k; j++) d += leaf[o + j]! * b[i]![o + j]!; });
      return d;
    };
    for (let s = 0; s < S; s++) {
      let sum = 0, pairs = 0;
      for (let a = 0; a < E; a++) for (let b = a + 1; b < E; b++, pairs++)
        sum += dot(grads[a]!, grads[b]!, s) / Math.sqrt(dot(grads[a]!, grads[a]!, s) * dot(grads[b]!, grads[b]!, s));
      out[s] = sum / pairs;
    }
    return out;
  }

  private leaves(): np.Array[] {
    return tree.leaves({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} }) as np.Array[];
  }

  /** Everything needed to resume, seed by seed: [leaf values…, divergence step, measurement state…]. */
  state(): Float32Array {
    const leaves = this.leaves().map((a) => a.ref.dataSync() as Float32Array);
    const S = this.seeds.length;
    const extra = Array.from({ length: S }, (_, s) => this.measures.stateOf(s));
    const per = leaves.reduce((n, l) => n + l.length / S, 0) + 1 + extra[0]!.reduce((n, p) => n + p.length, 0);
    const out = new Float32Array(S * per);
    for (let s = 0; s < S; s++) {
      let o = s * per;
      for (const l of leaves) {
        const k = l.length / S;
        out.set(l.subarray(s * k, (s + 1) * k), o);
        o += k;
      }
      out[o++] = this.diverged[s] ?? -1;
      for (const p of extra[s]!) { out.set(p, o); o += p.length; }
    }
    return out;
  }

  /** Restores a state written by state() (for these seeds), as it stood after step `step`. */
  restore(state: Float32Array, step: number): void {
    if (this.plan.kinds.has("preference") && !this.model.ref) this.model.ref = tree.ref(this.model.params);
    const leaves = this.leaves();
    const S = this.seeds.length;
    const sizes = leaves.map((a) => a.size / S);
    const extraSizes = this.measures.stateSizes(step, this.plan.checkpoints);
    const per = sizes.reduce((a, b) => a + b, 0) + 1 + extraSizes.reduce((a, b) => a + b, 0);
    if (state.length !== S * per) throw new Error(`saved state has ${state.length} values, expected ${S * per}`);
    const fresh = sizes.map((k) => new Float32Array(S * k));
    const extra: Float32Array[][] = [];
    for (let s = 0; s < S; s++) {
      let o = s * per;
      sizes.forEach((k, i) => { fresh[i]!.set(state.subarray(o, o + k), s * k); o += k; });
      const d = state[o++]!;
      this.diverged[s] = d >= 0 ? d : undefined;
      extra.push(extraSizes.map((k) => { const part = state.slice(o, o + k); o += k; return part; }));
    }
    this.measures.restore(step, this.plan.checkpoints, extra);
    const [, def] = tree.flatten({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} });
    const arrays = fresh.map((f, i) => np.array(f).reshape(leaves[i]!.shape));
    tree.dispose({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} });
    const m = tree.unflatten(def, arrays) as { p: Params; o: OptState; r: Params | {} };
    this.model = { params: m.p, opt: m.o, ref: "layers" in m.r ? m.r : undefined };
  }
}
