// Trains one shard of an ensemble (a contiguous range of seeds) from start to finish, as a
// stream of events. The same generator runs in-process or inside a worker thread. At every
// checkpoint it hands the registered per-seed metrics a context that computes what they read
// (probe outputs, counterfactual activations, per-environment gradients) once, on first use.
import { numpy as np, tree } from "@jax-js/jax";
import { runMetrics, type Measured, type SeedContext, type SeedMetric } from "../metrics/live/index.ts";
import { BatchBuilder, headWeights } from "./batch.ts";
import { stepHyper, type StepHyper } from "./lr.ts";
import { chooseEngine, FusedEvaluator, FusedTrainer, type Engine } from "./fused.ts";
import { initOptState, stepInputs, type OptState } from "./optim.ts";
import type { RunPlan } from "./plan.ts";
import type { StateLayout } from "./state.ts";
import { buildEval, buildProbeGrad, buildStep, type EvalFn, type ProbeGradFn, type StepFn } from "./step.ts";

export type ShardEvent =
  | { type: "progress"; step: number }
  | { type: "diverged"; seed: number; step: number; env: string; what: string }
  | { type: "checkpoint"; step: number; metrics: Record<string, Float64Array>; state?: Float32Array; layout?: StateLayout; ms?: { train: number; metrics: number; state: number } }; // ms: training since the previous checkpoint, this checkpoint's metrics (and what they read), saving the state

type Ensemble = { params: unknown; opt: OptState; ref?: unknown };

/** Final probe outputs of the weighted-sum baselines, [S, envs·N, C] for the whole ensemble, same seeds. */
export interface Reference {
  mixture?: Float32Array; // the stationary-mixture model
  specialists?: Float32Array[]; // one per trained environment, trained on it alone
}

/** A probe set as the jitted functions take it: rows [1, M, D] and, with per-env heads, their head weights. */
type Probe = { x: np.Array; heads?: np.Array };

export class ShardTrainer {
  readonly seeds: number[];
  readonly plan: RunPlan;
  private readonly batches: BatchBuilder;
  private readonly stepFn: StepFn;
  private readonly evalFn: EvalFn;
  private readonly evalHidden: EvalFn;
  private probeGrad: ProbeGradFn | undefined;
  private readonly metrics: { name: string; m: SeedMetric }[];
  private readonly all: Probe; // every probe set, envs·N rows
  private readonly cf: Probe; // counterfactual probes, E·N rows
  private envProbes: (Probe & { y: np.Array })[] | undefined; // per trained env, for its gradient
  private ens!: Ensemble; // the jax-js arrays (with the fused engine: rebuilt from the kernel when stale)
  private stale = false; // the fused kernel has trained past `ens`
  private fusedRef = false; // the fused kernel holds a reference policy
  readonly engine: { engine: Engine; reason?: string }; // who trains this shard, and why not the fused kernel
  timings: Map<string, number> | undefined; // set it to add up each metric's milliseconds at checkpoints (ecotone bench)
  private readonly fused: FusedTrainer | undefined;
  private readonly fusedEval: FusedEvaluator | undefined; // the checkpoint quantities from the kernel
  private readonly diverged: (number | undefined)[]; // step at which each seed diverged
  private lastLoss: Float64Array; // each seed's mean training loss over the previous checkpoint interval (NaN: none yet)
  private lossSum: Float64Array;
  private lossCount = 0;
  private readonly phaseStarts: Set<number>;
  private readonly reference: Reference | undefined; // sliced to this shard's seeds
  private readonly hyper: ((t: number) => StepHyper) | undefined; // scheduled lr and clip per step (undefined: the constant lr)

  constructor(plan: RunPlan, seeds: number[], reference?: Reference) {
    const { spec, model, probes, world } = plan;
    this.plan = plan;
    this.seeds = seeds;
    this.batches = new BatchBuilder(plan, seeds);
    this.stepFn = buildStep({ model, optim: spec.train, objectives: plan.kinds, sequence: world.sequence });
    this.hyper = stepHyper(spec.train, plan.schedule, plan.envNames);
    this.evalFn = buildEval(model, false, world.sequence);
    this.evalHidden = buildEval(model, true, world.sequence);
    this.engine = chooseEngine(plan);
    this.fused = this.engine.engine === "fused" ? new FusedTrainer(plan, seeds) : undefined;
    this.fusedEval = this.fused && new FusedEvaluator(this.fused, plan);
    const params = model.init(spec.seed, seeds);
    this.model = { params, opt: initOptState(spec.train, params) };
    this.diverged = seeds.map(() => undefined);
    this.lossSum = new Float64Array(seeds.length);
    this.lastLoss = new Float64Array(seeds.length).fill(NaN);
    this.phaseStarts = new Set(plan.schedule.phases.map((p) => p.start));
    const per = probes.envs * probes.n * world.classes, mine = (a: Float32Array) => a.slice(seeds[0]! * per, (seeds[seeds.length - 1]! + 1) * per);
    this.reference = reference && { mixture: reference.mixture && mine(reference.mixture), specialists: reference.specialists?.map(mine) };
    const rowsOf = (envs: number, n: number) => Int32Array.from({ length: envs * n }, (_, m) => Math.floor(m / n));
    this.all = this.probe(probes.x, rowsOf(probes.envs, probes.prompts ?? probes.n)); // a sequence world's probe rows are its prompts
    this.cf = this.probe(probes.cf, rowsOf(world.trained, probes.prompts ?? probes.n));
    this.metrics = runMetrics(plan, { baselines: !!reference })
      .filter((d) => d.level === "seed" && !spec.metrics.skip.includes(d.kind))
      .map((d) => ({ name: d.kind, m: (d as Extract<typeof d, { level: "seed" }>).create(plan, seeds) }));
  }

  private probe(x: Float32Array, envs: Int32Array): Probe {
    const H = this.plan.model.heads;
    return { x: np.array(x).reshape([1, envs.length, this.plan.world.inputDim]), heads: H > 1 ? headWeights(H, envs) : undefined };
  }

  /** Trains steps [from, to), yielding progress, divergences and every checkpoint in between. */
  *run(from: number, to = this.plan.spec.train.steps, wantState = false): Generator<ShardEvent> {
    const cps = new Set(this.plan.checkpoints);
    let train = 0; // ms of training since the last checkpoint
    const timed = (step: number, wantState: boolean): ShardEvent => {
      const ev = this.checkpoint(step, wantState) as ShardEvent & { type: "checkpoint" };
      ev.ms!.train = train;
      train = 0;
      return ev;
    };
    if (from === 0 && cps.has(0)) yield timed(0, false);
    for (let t = from; t < to; t++) {
      const t0 = performance.now();
      yield* this.step(t);
      train += performance.now() - t0;
      if (cps.has(t + 1)) {
        yield* this.blowups(t + 1);
        yield timed(t + 1, wantState);
      }
      if ((t + 1) % 10 === 0 || t + 1 === to) yield { type: "progress", step: t + 1 };
    }
  }

  /** The ensemble as jax-js arrays, brought up to date from the fused kernel when it has trained since. */
  private get model(): Ensemble {
    if (this.stale) {
      tree.dispose([this.ens.params, this.ens.opt, this.ens.ref ?? []] as any);
      this.ens = this.fused!.ensemble(this.fusedRef || this.ens.ref !== undefined);
      this.stale = false;
    }
    return this.ens;
  }

  private set model(e: Ensemble) {
    this.ens = e;
    this.fused?.load(e);
    this.fusedRef = e.ref !== undefined;
    this.stale = false;
  }

  /** Step t in the fused kernel. → per-example loss [S, B] */
  private fusedStep(t: number): Float32Array {
    const { plan } = this;
    if (plan.kinds.some((d) => d.reference === "phase") && this.phaseStarts.has(t)) {
      this.fused!.kernel.snapshotRef(); // the reference policy is the model as it stood when this phase began
      this.fusedRef = true;
    }
    const h = this.hyper?.(t);
    this.stale = true;
    return this.fused!.step(t, this.batches.raw(t), h?.lr ?? plan.spec.train.lr, h?.clip ?? 0);
  }

  /** One training step t (0-based). Yields a divergence event for each seed whose loss turns non-finite. */
  *step(t: number): Generator<ShardEvent> {
    const { plan } = this;
    const perExample = this.fused ? this.fusedStep(t) : this.jaxStep(t); // [S, B]
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

  /** Step t through the jitted jax-js step. → per-example loss [S, B] */
  private jaxStep(t: number): Float32Array {
    const { plan } = this;
    if (plan.kinds.some((d) => d.reference === "phase") && this.phaseStarts.has(t)) {
      // The reference policy is the model as it stood when this phase began.
      if (this.model.ref) tree.dispose(this.model.ref as any);
      this.model.ref = tree.ref(this.model.params as any);
    }
    const batch = this.batches.build(t);
    const ref = this.model.ref ? { p: tree.ref(this.model.ref as any) } : {};
    const h = this.hyper?.(t), inputs = h ? stepInputs(plan.spec.train, h.lr, h.clip) : {};
    const [params, opt, lossArr] = this.stepFn(this.model.params, this.model.opt, ref, batch, np.array(t + 1), inputs);
    this.model.params = params;
    this.model.opt = opt;
    return lossArr.dataSync() as Float32Array;
  }

  /**
   * A loss can blow up and stay finite (Adam at lr 10⁶: 60 against a chance level of 2.1): a seed
   * whose mean training loss over two checkpoint intervals in a row is above `train.divergeAbove`
   * times chance (log C, the uniform policy's cross-entropy) and rising has diverged.
   */
  private *blowups(step: number): Generator<ShardEvent> {
    const f = this.plan.spec.train.divergeAbove, limit = f * Math.log(this.plan.world.classes);
    for (let s = 0; s < this.seeds.length; s++) {
      const now = this.lossCount ? this.lossSum[s]! / this.lossCount : NaN, before = this.lastLoss[s]!;
      this.lastLoss[s] = now;
      if (!(f > 0) || this.diverged[s] !== undefined || !(now > limit && before > limit && now > before)) continue;
      this.diverged[s] = step - 1;
      yield { type: "diverged", seed: this.seeds[s]!, step: step - 1, env: this.envLabel(step - 1), what: `loss ${now.toPrecision(3)} above ${f}× chance (${limit.toPrecision(3)}) and rising` };
    }
  }

  private envLabel(t: number): string {
    const e = this.plan.schedule.sequence[t]!;
    return e >= 0 ? this.plan.envNames[e]! : "mixture";
  }

  /** Runs every per-seed metric on the models as they stand; NaN for diverged seeds. */
  checkpoint(step: number, wantState: boolean): ShardEvent {
    const S = this.seeds.length, started = performance.now();
    const trainLoss = new Float64Array(S);
    for (let s = 0; s < S; s++) trainLoss[s] = this.diverged[s] !== undefined || !this.lossCount ? NaN : this.lossSum[s]! / this.lossCount;
    const ctx = this.context(step, trainLoss);
    const metrics: Record<string, Float64Array> = {}, clock = this.timings;
    for (const { name, m } of this.metrics) {
      const t0 = clock && performance.now();
      Object.assign(metrics, perSeed(name, m.measure(ctx), S));
      if (clock) clock.set(name, (clock.get(name) ?? 0) + performance.now() - t0!);
    }
    for (const v of Object.values(metrics)) this.diverged.forEach((d, s) => { if (d !== undefined) v[s] = NaN; });
    this.lossSum = new Float64Array(S);
    this.lossCount = 0;
    const measured = performance.now(), saved = wantState ? { state: this.state(), layout: this.stateLayout() } : undefined;
    const ms = { train: 0, metrics: measured - started, state: performance.now() - measured };
    return { type: "checkpoint", step, metrics, ...saved, ms };
  }

  /** The checkpoint context: each quantity computed on first use, then shared by every metric. */
  private context(step: number, trainLoss: Float64Array): SeedContext {
    const clock = this.timings;
    // each quantity computed once; with `timings` its time is also kept under `read:<name>` (and counted in the metric that asked first)
    const once = <T>(f: () => T, name: string) => {
      let v: T | undefined, done = false;
      return () => {
        if (done) return v!;
        const t0 = clock && performance.now();
        [done, v] = [true, f()];
        if (clock) clock.set(`read:${name}`, (clock.get(`read:${name}`) ?? 0) + performance.now() - t0!);
        return v;
      };
    };
    return {
      step, plan: this.plan, seeds: this.seeds, trainLoss, reference: this.reference,
      outputs: once(() => this.outputs(), "outputs"),
      counterfactual: once(() => this.counterfactual(), "counterfactual"),
      readoutNorm: once(() => (this.fusedEval ? this.fusedEval.readoutNorm() : this.plan.model.readoutNorm?.(this.model.params)), "readoutNorm"),
      envGradients: once(() => this.envGradients(), "envGradients"),
      params: once(() => this.fusedEval?.params() ?? (tree.leaves(tree.ref(this.model.params as any)) as np.Array[]).map((a) => a.dataSync() as Float32Array), "params"),
    };
  }

  /** The current ensemble parameters, borrowed: take `tree.ref` to keep them past the next step. */
  params(): any {
    return this.model.params;
  }

  /** Frees every array this trainer holds. */
  dispose(): void {
    tree.dispose([this.model.params, this.model.opt, this.model.ref ?? [], this.all, this.cf, this.envProbes ?? []] as any);
  }

  /** The models' output distributions on every probe set: [S, envs·N, C]. */
  outputs(): Float32Array {
    if (this.fusedEval) return this.fusedEval.outputs();
    const [probs, hidden, attention] = this.evalFn(tree.ref(this.model.params as any), this.all.x.ref, this.all.heads ? { w: this.all.heads.ref } : {});
    tree.dispose([hidden, attention ?? []]);
    return probs.dataSync() as Float32Array;
  }

  /** Probabilities on the counterfactual probes [S, E·N, C], and the hidden representations on the first mechN contents of each cue. */
  private counterfactual(): { probs: Float32Array; hidden: Float32Array[]; mechN: number; attention?: Float32Array[] } {
    const { plan } = this;
    const S = this.seeds.length, E = plan.world.trained, N = plan.probes.prompts ?? plan.probes.n, mechN = Math.min(plan.spec.metrics.mechanismProbes, N);
    if (this.fusedEval) return this.fusedEval.counterfactual(mechN);
    const [cfArr, hiddenArr, attnArr] = this.evalHidden(tree.ref(this.model.params as any), this.cf.x.ref, this.cf.heads ? { w: this.cf.heads.ref } : {});
    const hidden = hiddenArr.map((h, l) => {
      const W = plan.model.hidden[l]!, all = h.dataSync() as Float32Array, out = new Float32Array(S * E * mechN * W); // [S, E·mechN, W]
      for (let s = 0; s < S; s++) for (let e = 0; e < E; e++)
        out.set(all.subarray(((s * E + e) * N) * W, ((s * E + e) * N + mechN) * W), ((s * E + e) * mechN) * W);
      return out;
    });
    // a sequence world: per layer the attention of the last prompt position to the trigger [S, E·N, heads]
    const attention = attnArr?.length ? attnArr.map((a) => a.dataSync() as Float32Array) : undefined;
    return { probs: cfArr.dataSync() as Float32Array, hidden, mechN, ...(attention && { attention }) };
  }

  /** Per trained env, the gradient of the clean cross-entropy on its probes, per leaf [S, ...]. */
  private envGradients(): Float32Array[][] {
    if (this.fusedEval) return this.fusedEval.envGradients();
    const { plan } = this;
    const { probes, world, model } = plan;
    const N = probes.prompts ?? probes.n, R = probes.n / N, C = world.classes, D = world.inputDim; // R: rows per probe (a sequence world's completion tokens)
    this.probeGrad ??= buildProbeGrad(model, world.sequence);
    this.envProbes ??= Array.from({ length: world.trained }, (_, e) => {
      const y = new Float32Array(N * R * C);
      for (let i = 0; i < N * R; i++) y[i * C + probes.labels[e * N * R + i]!] = 1;
      return {
        x: np.array(probes.x.subarray(e * N * D, (e + 1) * N * D)).reshape([1, N, D]),
        y: np.array(y).reshape(world.sequence ? [1, N, R, C] : [1, N, C]),
        heads: model.heads > 1 ? headWeights(model.heads, new Int32Array(N).fill(e)) : undefined,
      };
    });
    return this.envProbes.map((p) =>
      (tree.leaves(this.probeGrad!(tree.ref(this.model.params as any), p.x.ref, p.y.ref, p.heads ? { w: p.heads.ref } : {}) as any) as np.Array[]).map((g) => g.dataSync() as Float32Array));
  }

  private leaves(): np.Array[] {
    return tree.leaves({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} } as any) as np.Array[];
  }

  /**
   * Everything needed to resume, seed by seed: [leaf values…, divergence step, last interval's loss, then per stateful
   * metric: its number of parts, and each part as its length then its values].
   */
  state(): Float32Array {
    const leaves = this.leaves().map((a) => a.ref.dataSync() as Float32Array);
    const S = this.seeds.length;
    const rows = Array.from({ length: S }, (_, s) => {
      const out: Float32Array[] = [];
      for (const l of leaves) out.push(l.subarray((s * l.length) / S, ((s + 1) * l.length) / S));
      out.push(Float32Array.of(this.diverged[s] ?? -1), new Float32Array(Float64Array.of(this.lastLoss[s]!).buffer)); // the loss bit for bit: two float32 slots
      for (const { m } of this.metrics) {
        if (!m.state) continue;
        const ps = m.state(s);
        out.push(Float32Array.of(ps.length));
        for (const p of ps) out.push(Float32Array.of(p.length), p);
      }
      return out;
    });
    const per = rows[0]!.reduce((n, p) => n + p.length, 0);
    if (rows.some((r) => r.reduce((n, p) => n + p.length, 0) !== per)) throw new Error("state: seeds of one shard saved states of different sizes");
    const out = new Float32Array(S * per);
    let o = 0;
    for (const r of rows) for (const p of r) { out.set(p, o); o += p.length; }
    return out;
  }

  /** What one seed's row of state() holds: each leaf's pytree path and per-seed shape, and the stateful metrics. */
  stateLayout(): StateLayout {
    const S = this.seeds.length;
    const [leaves, def] = tree.flatten({ params: this.model.params, opt: this.model.opt, ref: this.model.ref ?? {} } as any) as [np.Array[], any];
    const names: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node === "number") names[node] = path;
      else for (const [k, c] of Object.entries(node as object)) walk(c, path ? `${path}.${k}` : k);
    };
    walk(tree.unflatten(def, leaves.map((_, i) => i)), "");
    return {
      leaves: leaves.map((a, i) => ({ name: names[i]!, shape: a.shape[0] === S ? a.shape.slice(1) : [a.size / S] })),
      metrics: this.metrics.filter(({ m }) => m.state).map(({ name }) => name),
    };
  }

  /** Restores a state written by state() (for these seeds), as it stood after step `step`. */
  restore(state: Float32Array, step: number): void {
    if (this.plan.kinds.some((d) => d.reference === "phase") && !this.model.ref) this.model.ref = tree.ref(this.model.params as any);
    const leaves = this.leaves();
    const S = this.seeds.length;
    const sizes = leaves.map((a) => a.size / S);
    if (state.length % S !== 0) throw new Error(`saved state has ${state.length} values, not a multiple of ${S} seeds`);
    const per = state.length / S;
    const fresh = sizes.map((k) => new Float32Array(S * k));
    const parts: Float32Array[][][] = this.metrics.map(() => []); // [metric][seed][part]
    for (let s = 0; s < S; s++) {
      let o = s * per;
      sizes.forEach((k, i) => { fresh[i]!.set(state.subarray(o, o + k), s * k); o += k; });
      const d = state[o++]!;
      this.diverged[s] = d >= 0 ? d : undefined;
      this.lastLoss[s] = new Float64Array(state.slice(o, o + 2).buffer)[0]!;
      o += 2;
      this.metrics.forEach(({ m }, i) => {
        if (!m.state) return;
        const n = state[o++]!, mine: Float32Array[] = [];
        for (let j = 0; j < n; j++) { const len = state[o++]!; mine.push(state.slice(o, o + len)); o += len; }
        parts[i]![s] = mine;
      });
      if (o !== (s + 1) * per) throw new Error(`saved state does not match this run's model and metrics (seed ${this.seeds[s]})`);
    }
    this.metrics.forEach(({ m }, i) => m.restore?.(step, parts[i]!));
    const [, def] = tree.flatten({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} } as any);
    const arrays = fresh.map((f, i) => np.array(f).reshape(leaves[i]!.shape));
    tree.dispose({ p: this.model.params, o: this.model.opt, r: this.model.ref ?? {} } as any);
    const m = tree.unflatten(def, arrays) as { p: unknown; o: OptState; r: unknown };
    const hasRef = this.model.ref !== undefined;
    this.model = { params: m.p, opt: m.o, ref: hasRef ? m.r : undefined };
  }
}

/** A seed metric's values as [S] arrays: a run-level number (seed −1) is not a per-seed value here. */
function perSeed(name: string, m: Measured, S: number): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(m)) {
    if (!(v instanceof Float64Array) || v.length !== S) throw new Error(`metric ${name}: ${k} must be a Float64Array of ${S} values (one per seed of the shard)`);
    out[k] = v;
  }
  return out;
}
