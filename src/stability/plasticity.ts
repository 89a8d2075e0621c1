// Loss of plasticity on Dohare et al.'s slowly-changing regression problem (Nature 2024, "Loss of
// plasticity in deep continual learning"; their bit-flipping problem), sized for a laptop: m-bit
// binary inputs whose first f bits change slowly (one of them flips every `flipEvery` steps) while
// the other m − f are random in every example; the target is a fixed random network of linear
// threshold units (LTUs) that the learner, a one-hidden-layer ReLU network trained online by SGD on
// the squared error, can never fit exactly, so it must keep tracking the slow bits. Plain backprop
// loses the ability to track them (units die, the representation collapses, the error rises); L2
// Init (`l2Init`, src/train/optim.ts) and continual backprop (`replacement`: Dohare et al.'s
// generate-and-test, reinitialising the mature units of least utility) keep it.
import { jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { deadFraction, effectiveRankFast, meanAbsWeight } from "../metrics/live/plasticity.ts";
import { initOptState, update, type OptimConfig, type OptState } from "../train/optim.ts";
import { EcotoneError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { mean } from "../util/stats.ts";
import { withDefaults } from "./_options.ts";

export const scrDefaults = {
  inputs: 20, // m: input bits
  slowBits: 15, // f: the first f bits change slowly; the other m − f are drawn afresh for every example
  flipEvery: 200, // T: steps between two flips (one slow bit, chosen at random, flips)
  targetUnits: 100, // LTUs of the fixed random target network (weights and biases ±1)
  beta: 0.7, // LTU threshold: unit k fires when its input exceeds β·(m + 1) − S_k, S_k its number of −1 weights (Dohare et al.)
  hidden: 5, // ReLU units of the learner's one hidden layer (Dohare et al.: 5)
  batch: 16, // examples per SGD step, all under the same slow bits
  lr: 0.03, // SGD step size
  steps: 20000, // training steps
  seeds: 16, // independent runs (own target, flips, data and initialisation), trained side by side (up to ~16 cost about as much as one)
  l2Init: 0, // pull toward the initial weights per step, as a fraction of lr (train.l2Init); 0 = off
  replacement: 0, // continual backprop: units replaced per mature unit per step (Dohare et al.'s ρ); 0 = plain backprop
  maturity: 100, // continual backprop: steps a unit lives before it may be replaced
  decay: 0.99, // continual backprop: decay of the running averages of each unit's utility and activation
  probes: 256, // uniformly random inputs on which dead units and the effective rank are measured
  measureEvery: 1000, // steps between measurements of dead units, effective rank and weight magnitude
  seed: 0, // draws everything: targets, flips, data, initialisation, replacements, probes
};
export type ScrOptions = Partial<typeof scrDefaults>;

export interface ScrCurves {
  options: typeof scrDefaults;
  // the online error: each step's mean squared error on its batch before the update, averaged per flip period
  periods: { end: number[]; mse: number[][] }; // end step of each period; mse [period][seed]
  // measured on the probes every `measureEvery` steps (and at step 0)
  measured: { step: number[]; dead: number[][]; rank: number[][]; weight: number[][] }; // [measurement][seed]
  replaced: number[]; // per seed: units reinitialised by continual backprop
  seconds: number;
}

// Random streams of the study, each a pure function of (seed, stream, seed index)
const STREAM = { target: 1, flips: 2, data: 3, init: 4, replace: 5, probes: 6 } as const;

type Params = { l1: { w: np.Array; b: np.Array }; l2: { w: np.Array; b: np.Array } }; // l1 w [S, m, H], b [S, 1, H]; l2 w [S, H, 1], b [S, 1, 1]

/** The target networks: per seed LTU weights [m, K] and biases, thresholds, output weights [K] and bias, all ±1 but the thresholds. */
function targets(o: typeof scrDefaults) {
  const { seeds: S, inputs: m, targetUnits: K } = o;
  const sign = (r: Rng) => (r.uniform() < 0.5 ? -1 : 1);
  return Array.from({ length: S }, (_, s) => {
    const r = new Rng(o.seed, STREAM.target, s);
    const w = Float64Array.from({ length: m * K }, () => sign(r)), b = Float64Array.from({ length: K }, () => sign(r));
    const v = Float64Array.from({ length: K }, () => sign(r)), vb = sign(r);
    const tau = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let neg = 0;
      for (let i = 0; i < m; i++) neg += +(w[i * K + k]! < 0);
      tau[k] = o.beta * (m + 1) - neg;
    }
    return { w, b, v, vb, tau };
  });
}

/** Kaiming-uniform initialisation as Dohare et al.'s learner: bounds √2·√(3/m) in, √(3/H) out; zero biases. */
function initParams(o: typeof scrDefaults): Params {
  const { seeds: S, inputs: m, hidden: H } = o;
  const w1 = new Float32Array(S * m * H), w2 = new Float32Array(S * H);
  for (let s = 0; s < S; s++) {
    const r = new Rng(o.seed, STREAM.init, s), b1 = Math.sqrt(2) * Math.sqrt(3 / m), b2 = Math.sqrt(3 / H);
    for (let i = 0; i < m * H; i++) w1[s * m * H + i] = (2 * r.uniform() - 1) * b1;
    for (let i = 0; i < H; i++) w2[s * H + i] = (2 * r.uniform() - 1) * b2;
  }
  return {
    l1: { w: np.array(w1).reshape([S, m, H]), b: np.zeros([S, 1, H]) },
    l2: { w: np.array(w2).reshape([S, H, 1]), b: np.zeros([S, 1, 1]) },
  };
}

/** Hidden activations [S, B, H] and output [S, B, 1]. Consumes p and x. */
function forward(p: Params, x: np.Array): { h: np.Array; y: np.Array } {
  const h = nn.relu(np.matmul(x, p.l1.w).add(p.l1.b)); // [S, B, H]
  return { h: h.ref, y: np.matmul(h, p.l2.w).add(p.l2.b) };
}

/** Trains `seeds` learners online on the slowly-changing regression problem; returns their error and plasticity curves. */
export function slowlyChangingRegression(opts: ScrOptions = {}, onProgress?: (step: number, total: number) => void): ScrCurves {
  const o = withDefaults(scrDefaults, opts);
  const { seeds: S, inputs: m, slowBits: f, targetUnits: K, hidden: H, batch: B } = o;
  for (const k of ["inputs", "targetUnits", "hidden", "batch", "steps", "seeds", "flipEvery", "measureEvery", "probes"] as const)
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new EcotoneError("E_ARGS", `${k} must be a positive integer, got ${o[k]}`);
  if (!(Number.isInteger(f) && f >= 0 && f <= m)) throw new EcotoneError("E_ARGS", `slowBits must be an integer from 0 to inputs (${m}), got ${f}`);
  if (o.l2Init > 0 && o.replacement > 0) throw new EcotoneError("E_ARGS", "choose l2Init or replacement (continual backprop), not both");
  const t0 = performance.now();
  const tg = targets(o);
  const flips = Array.from({ length: S }, (_, s) => new Rng(o.seed, STREAM.flips, s));
  const data = Array.from({ length: S }, (_, s) => new Rng(o.seed, STREAM.data, s));
  const slow = flips.map((r) => Array.from({ length: f }, () => +(r.uniform() < 0.5)));
  // each target unit's input from the bias and the slow bits, and the target of each pattern of fast bits seen since: both change only at a flip
  const base = tg.map(() => new Float64Array(K)), seen = tg.map(() => new Map<number, number>());
  const rebase = (s: number) => {
    const { w, b } = tg[s]!, a = base[s]!;
    for (let k = 0; k < K; k++) {
      let v = b[k]!;
      for (let i = 0; i < f; i++) if (slow[s]![i]) v += w[i * K + k]!;
      a[k] = v;
    }
    seen[s]!.clear();
  };
  for (let s = 0; s < S; s++) rebase(s);
  const target = (s: number, x: Float32Array, row: number) => {
    const { w, v, vb, tau } = tg[s]!;
    let y = vb;
    for (let k = 0; k < K; k++) {
      let a = base[s]![k]!;
      for (let i = f; i < m; i++) if (x[row + i]) a += w[i * K + k]!;
      if (a > tau[k]!) y += v[k]!;
    }
    return y;
  };

  const xs = new Float32Array(S * B * m), ys = new Float32Array(S * B);
  const batch = (): { x: np.Array; y: np.Array } => {
    for (let s = 0; s < S; s++) {
      const r = data[s]!, memo = m - f <= 16 ? seen[s] : undefined; // 2^(m−f) patterns at most
      for (let e = 0; e < B; e++) {
        const row = (s * B + e) * m;
        let pattern = 0;
        for (let i = 0; i < m; i++) {
          xs[row + i] = i < f ? slow[s]![i]! : +(r.uniform() < 0.5);
          if (i >= f) pattern = pattern * 2 + xs[row + i]!;
        }
        let y = memo?.get(pattern);
        if (y === undefined) {
          y = target(s, xs, row);
          memo?.set(pattern, y);
        }
        ys[s * B + e] = y;
      }
    }
    return { x: np.array(xs).reshape([S, B, m]), y: np.array(ys).reshape([S, B, 1]) };
  };

  const cfg: OptimConfig = { optimizer: "sgd", lr: o.lr, momentum: 0, beta2: 0, eps: 0, weightDecay: 0, l2Init: o.l2Init };
  // one jitted step: per-seed MSE before the update, and each unit's contribution |h|·|w_out| and mean activation (continual backprop)
  const step = jit((p: Params, s: OptState, b: { x: np.Array; y: np.Array }, t: np.Array) => {
    const loss = (q: Params) => {
      const { h, y } = forward(q, b.x.ref);
      const d = y.sub(b.y.ref); // [S, B, 1]
      const mse = d.ref.mul(d).mean([1, 2]); // [S]
      return [mse.ref.sum(), { mse, h }] as [np.Array, { mse: np.Array; h: np.Array }];
    };
    const [[, aux], g] = valueAndGrad(loss, { hasAux: true })(tree.ref(p));
    b.x.dispose();
    b.y.dispose();
    const contrib = np.abs(aux.h.ref).mean(1).mul(np.abs(p.l2.w.ref).reshape([S, H])); // [S, H]: mean |h| × |outgoing weight|
    const act = aux.h.mean(1); // [S, H]
    const [p2, s2] = update(cfg, p, g, s, t);
    return [p2, s2, aux.mse, contrib, act];
  }) as unknown as (p: Params, s: OptState, b: { x: np.Array; y: np.Array }, t: np.Array) => [Params, OptState, np.Array, np.Array, np.Array];

  // probes: uniformly random inputs, all bits random
  const probeRows = new Float32Array(S * o.probes * m);
  for (let s = 0; s < S; s++) {
    const r = new Rng(o.seed, STREAM.probes, s);
    for (let i = 0; i < o.probes * m; i++) probeRows[s * o.probes * m + i] = +(r.uniform() < 0.5);
  }
  const probeX = np.array(probeRows).reshape([S, o.probes, m]);
  const hiddenOf = jit((p: Params, x: np.Array) => { const { h, y } = forward(p, x); y.dispose(); return h; }) as unknown as (p: Params, x: np.Array) => np.Array;

  let params = initParams(o);
  let state = initOptState(cfg, params);
  const measured: ScrCurves["measured"] = { step: [], dead: [], rank: [], weight: [] };
  const measure = (t: number) => {
    const h = hiddenOf(tree.ref(params), probeX.ref).dataSync() as Float32Array; // [S, probes, H]
    const leaves = (tree.leaves(tree.ref(params)) as np.Array[]).map((a) => a.dataSync() as Float32Array);
    const M = o.probes, at = (s: number) => h.subarray(s * M * H, (s + 1) * M * H);
    measured.step.push(t);
    measured.dead.push(Array.from({ length: S }, (_, s) => deadFraction(at(s), M, H)));
    measured.rank.push(Array.from({ length: S }, (_, s) => effectiveRankFast(at(s), M, H)));
    measured.weight.push(Array.from(meanAbsWeight(leaves, S)));
  };

  const cbp = o.replacement > 0 ? new ContinualBackprop(o) : undefined;
  const periods: ScrCurves["periods"] = { end: [], mse: [] };
  let sum = new Float64Array(S), n = 0;
  measure(0);
  for (let t = 0; t < o.steps; t++) {
    if (f > 0 && t > 0 && t % o.flipEvery === 0)
      for (let s = 0; s < S; s++) {
        const i = flips[s]!.int(f);
        slow[s]![i] = 1 - slow[s]![i]!;
        rebase(s);
      }
    const [p, st, mse, contrib, act] = step(params, state, batch(), np.array(t + 1));
    [params, state] = [p, st];
    const e = mse.dataSync() as Float32Array;
    for (let s = 0; s < S; s++) {
      if (!Number.isFinite(e[s]!)) throw new EcotoneError("E_DIVERGED", `non-finite error at step ${t}, seed ${s}: lower lr (${o.lr})`);
      sum[s]! += e[s]!;
    }
    n++;
    if (cbp) params = cbp.step(params, contrib.dataSync() as Float32Array, act.dataSync() as Float32Array);
    else tree.dispose([contrib, act]);
    if ((t + 1) % o.flipEvery === 0 || t + 1 === o.steps) {
      periods.end.push(t + 1);
      periods.mse.push(Array.from(sum, (v) => v / n));
      [sum, n] = [new Float64Array(S), 0];
    }
    if ((t + 1) % o.measureEvery === 0 || t + 1 === o.steps) measure(t + 1);
    if ((t + 1) % 100 === 0 || t + 1 === o.steps) onProgress?.(t + 1, o.steps);
  }
  tree.dispose([params, state, probeX] as any);
  return { options: o, periods, measured, replaced: cbp ? Array.from(cbp.replaced) : new Array<number>(S).fill(0), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Continual backprop's generate-and-test (Dohare et al. 2024, their "contribution" utility): each
 * unit's utility is a running average of |activation| × |outgoing weight|; every step, `replacement`
 * × (mature units) units, accumulated across steps, are replaced: the mature ones of lowest
 * bias-corrected utility get fresh incoming weights from the initial distribution, zero bias and zero
 * outgoing weight, and the output bias absorbs their mean contribution so the function is unchanged.
 * SGD keeps no per-parameter state, so nothing else needs resetting.
 */
class ContinualBackprop {
  private readonly util: Float64Array; // [S, H] running utility
  private readonly mean: Float64Array; // [S, H] running mean activation
  private readonly age: Float64Array; // [S, H] steps since (re)initialisation
  private readonly owed: Float64Array; // [S] replacements accumulated, not yet made
  readonly replaced: Float64Array; // [S]
  private readonly rngs: Rng[];
  constructor(private readonly o: typeof scrDefaults) {
    const n = o.seeds * o.hidden;
    [this.util, this.mean, this.age] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    [this.owed, this.replaced] = [new Float64Array(o.seeds), new Float64Array(o.seeds)];
    this.rngs = Array.from({ length: o.seeds }, (_, s) => new Rng(o.seed, STREAM.replace, s));
  }

  /** Updates the utilities with this step's contributions and activations ([S, H]); returns the parameters with the chosen units replaced. Consumes p. */
  step(p: Params, contrib: Float32Array, act: Float32Array): Params {
    const { seeds: S, hidden: H, inputs: m, decay: d, maturity, replacement } = this.o;
    const chosen: number[][] = [];
    for (let s = 0; s < S; s++) {
      const mature: number[] = [];
      for (let j = 0; j < H; j++) {
        const i = s * H + j;
        this.age[i]!++;
        this.util[i] = d * this.util[i]! + (1 - d) * contrib[i]!;
        this.mean[i] = d * this.mean[i]! + (1 - d) * act[i]!;
        if (this.age[i]! > maturity) mature.push(j);
      }
      this.owed[s]! += replacement * mature.length;
      const k = Math.min(Math.floor(this.owed[s]!), mature.length);
      this.owed[s]! -= k;
      const corrected = (j: number) => this.util[s * H + j]! / (1 - d ** this.age[s * H + j]!);
      chosen.push(mature.sort((a, b) => corrected(a) - corrected(b)).slice(0, k));
    }
    if (chosen.every((c) => c.length === 0)) return p;
    const [w1, b1, w2, b2] = [p.l1.w, p.l1.b, p.l2.w, p.l2.b].map((a) => (a.dataSync() as Float32Array).slice());
    const bound = Math.sqrt(2) * Math.sqrt(3 / m);
    chosen.forEach((units, s) => {
      for (const j of units) {
        const i = s * H + j;
        for (let r = 0; r < m; r++) w1![(s * m + r) * H + j] = (2 * this.rngs[s]!.uniform() - 1) * bound;
        b1![i] = 0;
        b2![s]! += w2![i]! * (this.mean[i]! / (1 - d ** this.age[i]!)); // the unit's mean contribution moves to the output bias
        w2![i] = 0;
        [this.util[i], this.mean[i], this.age[i]] = [0, 0, 0];
        this.replaced[s]!++;
      }
    });
    return {
      l1: { w: np.array(w1!).reshape([S, m, H]), b: np.array(b1!).reshape([S, 1, H]) },
      l2: { w: np.array(w2!).reshape([S, H, 1]), b: np.array(b2!).reshape([S, 1, 1]) },
    };
  }
}

/** The three learners compared: plain backprop, L2 Init and continual backprop, each with its one coefficient. */
export const plasticityVariants: { name: string; label: string; options: ScrOptions }[] = [
  { name: "backprop", label: "backprop", options: {} },
  { name: "l2Init", label: "L2 Init (λ 0.01)", options: { l2Init: 0.01 } }, // pulls back by lr·0.01·(w − w₀) per step
  { name: "continualBackprop", label: "continual backprop (ρ 5e-4)", options: { replacement: 5e-4 } }, // with 5 units: one replaced every ~400 steps per seed
];

export interface PlasticityVariant {
  name: string;
  label: string;
  curves: ScrCurves;
  // means over seeds: online MSE over the first and last quarter of the flip periods; dead units, effective rank and mean |w| at the end
  summary: { mseEarly: number; mseLate: number; dead: number; rank: number; weight: number; replaced: number };
}

export interface PlasticityStudy {
  options: typeof scrDefaults; // shared by every variant (each adds its own coefficient)
  variants: PlasticityVariant[];
  seconds: number;
}

/**
 * Trains each variant on the same problem (same targets, flips, data and initialisations: a paired
 * comparison) and sums up its curves.
 */
export function plasticityStudy(opts: ScrOptions = {}, o: { variants?: typeof plasticityVariants; onStage?: (label: string) => void; onProgress?: (step: number, total: number) => void } = {}): PlasticityStudy {
  const t0 = performance.now(), options = withDefaults(scrDefaults, opts);
  const variants = (o.variants ?? plasticityVariants).map((v) => {
    o.onStage?.(v.label);
    const curves = slowlyChangingRegression({ ...options, ...v.options }, o.onProgress);
    return { name: v.name, label: v.label, curves, summary: summarise(curves) };
  });
  return { options, variants, seconds: (performance.now() - t0) / 1000 };
}


/** Means over seeds of the first and last quarter's online MSE and of the last measurement. */
export function summarise(c: ScrCurves): PlasticityVariant["summary"] {
  const P = c.periods.mse.length, q = Math.max(1, Math.floor(P / 4)), last = c.measured.step.length - 1;
  return {
    mseEarly: mean(c.periods.mse.slice(0, q).map(mean)),
    mseLate: mean(c.periods.mse.slice(P - q).map(mean)),
    dead: mean(c.measured.dead[last]!),
    rank: mean(c.measured.rank[last]!),
    weight: mean(c.measured.weight[last]!),
    replaced: mean(c.replaced),
  };
}
