// Simplicity bias (SPEC claim 4, "simple proxies win over complex true features"; Shah et al. 2020,
// "The pitfalls of simplicity bias in neural networks"). A binary task in which two features each
// predict the label perfectly: a simple one (the sign of coordinate 0) and a complex one (the
// parity of the signs of `bits` other coordinates, or the label of a random ReLU network on
// them). After training, randomising a feature at test time and watching accuracy fall says
// which one the model relies on. A control ensemble trained with the simple feature randomised
// shows the complex feature is learnable with the same budget, so reliance on the simple one is
// a preference, not an incapacity.
import { init, numpy as np, tree } from "@jax-js/jax";
import { arch as mlpArch, initParams, type Params } from "../models/mlp.ts";
import { initOptState } from "../train/optim.ts";
import { buildEval, buildStep } from "../train/step.ts";
import { EcotoneError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { withDefaults } from "./_options.ts";

export const simplicityDefaults = {
  complex: "parity" as "parity" | "relu", // the complex feature: sign parity, or a random ReLU net's label
  bits: 2, // coordinates the complex feature reads (parity of 2 signs = XOR, learnable alone in 400 steps)
  noise: 4, // extra pure-noise coordinates
  margin: 0.25, // the simple feature is x₀ = ±(margin + |z|): its margin is not larger than the complex one's
  seeds: 4, // models trained side by side
  steps: 400, // Adam steps
  batch: 64,
  lr: 0.005,
  hidden: [32], // ReLU widths
  test: 1024, // test inputs per condition
  drop: 0.25, // accuracy lost when a feature is randomised, above which the model relies on it
  control: true, // also train the control ensemble (simple feature randomised in training)
  seed: 0,
};
export type SimplicityOptions = Partial<typeof simplicityDefaults>;

/** What is randomised (made independent of the label) in a draw. */
type Randomise = "none" | "simple" | "complex";

/** The data generator: x = [x₀ (simple), x₁..x_bits (complex), noise...], label in {0, 1}. */
export class SimplicityTask {
  readonly dim: number;
  private readonly teacher?: { w1: Float64Array; w2: Float64Array; hidden: number };
  private bias = 0; // the ReLU teacher's threshold

  constructor(readonly o: typeof simplicityDefaults) {
    this.dim = 1 + o.bits + o.noise;
    if (o.complex === "relu") {
      // A random one-hidden-layer ReLU teacher, its output centred so both labels are common.
      const hidden = 16, rng = new Rng(o.seed, 0x5117);
      const w1 = Float64Array.from({ length: o.bits * hidden }, () => rng.normal());
      const w2 = Float64Array.from({ length: hidden }, () => rng.normal());
      const probe = new Rng(o.seed, 0x5118), xs = new Float64Array(o.bits), outs: number[] = [];
      for (let i = 0; i < 2001; i++) {
        for (let j = 0; j < o.bits; j++) xs[j] = probe.normal();
        outs.push(this.relu({ w1, w2, hidden }, xs, 0));
      }
      outs.sort((a, b) => a - b);
      this.teacher = { w1, w2, hidden };
      this.bias = outs[1000]!; // the median: balanced labels
    }
  }

  private relu(t: { w1: Float64Array; w2: Float64Array; hidden: number }, x: ArrayLike<number>, bias: number): number {
    let out = -bias;
    for (let h = 0; h < t.hidden; h++) {
      let a = 0;
      for (let j = 0; j < this.o.bits; j++) a += x[j]! * t.w1[j * t.hidden + h]!;
      out += Math.max(0, a) * t.w2[h]!;
    }
    return out;
  }

  /** The complex feature's label of coordinates x₁..x_bits. */
  complexLabel(x: ArrayLike<number>): number {
    if (this.teacher) return +(this.relu(this.teacher, x, this.bias) > 0);
    let odd = 0;
    for (let j = 0; j < this.o.bits; j++) odd ^= +(x[j]! < 0);
    return odd;
  }

  /** n examples [n, dim] with labels; `randomise` makes that feature independent of the label. */
  sample(n: number, rng: Rng, randomise: Randomise): { x: Float32Array; y: Int32Array } {
    const { bits, noise, margin } = this.o, D = this.dim;
    const x = new Float32Array(n * D), y = new Int32Array(n), c = new Float64Array(bits);
    for (let i = 0; i < n; i++) {
      const label = rng.int(2);
      y[i] = label;
      const simpleLabel = randomise === "simple" ? rng.int(2) : label;
      x[i * D] = (simpleLabel ? 1 : -1) * (margin + Math.abs(rng.normal()));
      const complexTarget = randomise === "complex" ? rng.int(2) : label;
      do for (let j = 0; j < bits; j++) c[j] = rng.normal(); // rejection: draw until the complex feature says the target
      while (this.complexLabel(c) !== complexTarget);
      for (let j = 0; j < bits; j++) x[i * D + 1 + j] = c[j]!;
      for (let j = 0; j < noise; j++) x[i * D + 1 + bits + j] = rng.normal();
    }
    return { x, y };
  }
}

export interface SimplicityReport {
  options: typeof simplicityDefaults;
  dim: number;
  // accuracy per seed, and its mean, on: the clean test set; with the simple feature randomised;
  // with the complex feature randomised
  accuracy: { clean: number[]; simpleRandomised: number[]; complexRandomised: number[] };
  mean: { clean: number; simpleRandomised: number; complexRandomised: number };
  reliance: { simple: number; complex: number }; // mean accuracy lost when that feature is randomised
  verdict: ("simple" | "complex" | "both" | "neither")[]; // per seed
  // Trained with the simple feature randomised, tested likewise: accuracy from the complex feature
  // alone, per seed. High means the complex feature is learnable with this budget.
  control: { accuracy: number[]; mean: number } | null;
}

/** Trains `seeds` MLPs side by side on the task (randomising `train` in training data); returns their params. */
function trainEnsemble(task: SimplicityTask, o: typeof simplicityDefaults, train: Randomise) {
  const a = mlpArch({ hidden: o.hidden, bottleneck: 0, heads: "shared", dropout: 0, l1: 0 }, task.dim, 2, 1);
  const seeds = Array.from({ length: o.seeds }, (_, g) => g);
  const optim = { optimizer: "adam" as const, lr: o.lr, momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  const step = buildStep({ arch: a, optim, objectives: new Set(["sft"]), dropout: false, l1: 0 });
  let params: Params = initParams(a, o.seed, seeds);
  let opt = initOptState(optim, params);
  const S = o.seeds, B = o.batch, D = task.dim;
  for (let t = 0; t < o.steps; t++) {
    const x = new Float32Array(S * B * D), target = new Float32Array(S * B * 2);
    seeds.forEach((g) => {
      const d = task.sample(B, new Rng(o.seed, g, t, train === "simple" ? 2 : 1), train);
      x.set(d.x, g * B * D);
      d.y.forEach((label, b) => (target[(g * B + b) * 2 + label] = 1));
    });
    const batch = { x: np.array(x).reshape([S, B, D]), obj: { mask: { sft: np.ones([1, B]) }, target: np.array(target).reshape([S, B, 2]) } };
    const [p, s, loss] = step(params, opt, {}, batch, np.array(t + 1));
    [params, opt] = [p, s];
    // Reading the loss back forces this step to run now: left lazy, 400 queued steps cost 40× more.
    loss.dataSync();
  }
  tree.dispose(opt);
  return { arch: a, params };
}

/** Accuracy per seed of ensemble params on a test set. */
function accuracies(a: ReturnType<typeof mlpArch>, params: Params, test: { x: Float32Array; y: Int32Array }, S: number): number[] {
  const n = test.y.length;
  const [probs, hidden] = buildEval(a, false)(tree.ref(params), np.array(test.x).reshape([1, n, a.input]), {});
  tree.dispose(hidden);
  const p = probs.dataSync() as Float32Array; // [S, n, 2]
  return Array.from({ length: S }, (_, s) => {
    let hits = 0;
    for (let i = 0; i < n; i++) hits += +(+(p[(s * n + i) * 2 + 1]! > p[(s * n + i) * 2]!) === test.y[i]);
    return hits / n;
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Train on the task where both features predict the label, then measure which one the models use. */
export async function simplicityBias(opts: SimplicityOptions = {}): Promise<SimplicityReport> {
  const o = withDefaults(simplicityDefaults, opts);
  if (!(Number.isInteger(o.bits) && o.bits >= 1 && o.bits <= 16)) throw new EcotoneError("E_ARGS", `bits: expected an integer in [1, 16], got ${o.bits}`);
  if (o.complex !== "parity" && o.complex !== "relu") throw new EcotoneError("E_ARGS", `complex: expected parity or relu, got ${o.complex}`);
  await init("wasm");
  const task = new SimplicityTask(o);
  const testRng = (k: number) => new Rng(o.seed, 0x7e57, k); // test sets: fixed, shared by every model
  const tests = {
    clean: task.sample(o.test, testRng(0), "none"),
    simpleRandomised: task.sample(o.test, testRng(1), "simple"),
    complexRandomised: task.sample(o.test, testRng(2), "complex"),
  };
  const { arch: a, params } = trainEnsemble(task, o, "none");
  const accuracy = {
    clean: accuracies(a, params, tests.clean, o.seeds),
    simpleRandomised: accuracies(a, params, tests.simpleRandomised, o.seeds),
    complexRandomised: accuracies(a, params, tests.complexRandomised, o.seeds),
  };
  tree.dispose(params);
  const verdict = accuracy.clean.map((c, s) => {
    const simple = c - accuracy.simpleRandomised[s]! > o.drop, complex = c - accuracy.complexRandomised[s]! > o.drop;
    return simple && complex ? "both" : simple ? "simple" : complex ? "complex" : "neither";
  });
  let control: SimplicityReport["control"] = null;
  if (o.control) {
    const c = trainEnsemble(task, o, "simple");
    const acc = accuracies(c.arch, c.params, tests.simpleRandomised, o.seeds); // the complex feature alone decides
    tree.dispose(c.params);
    control = { accuracy: acc, mean: mean(acc) };
  }
  const m = { clean: mean(accuracy.clean), simpleRandomised: mean(accuracy.simpleRandomised), complexRandomised: mean(accuracy.complexRandomised) };
  return {
    options: o, dim: task.dim, accuracy, mean: m,
    reliance: { simple: m.clean - m.simpleRandomised, complex: m.clean - m.complexRandomised },
    verdict, control,
  };
}
