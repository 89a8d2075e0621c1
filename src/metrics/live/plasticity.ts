// Plasticity (Dohare et al., Nature 2024, "Loss of plasticity in deep continual learning"; Lyle et
// al. 2023): does the network stay able to learn? Per seed at every checkpoint, on the hidden
// activations for the counterfactual probes: the fraction of dead units, the effective rank of each
// representation, and the mean weight magnitude; per run, the accuracy each trained environment
// reaches at the end of a later phase relative to the end of its first one.
import { absSums, allFinite, deadUnits, smallGramEigenvaluesMany } from "../../kernels/linalg.ts";
import type { MetricPoint } from "../../store/types.ts";
import type { RunPlan } from "../../train/plan.ts";
import { defineMetric, type RunContext } from "./metric.ts";
import { accuracyKey } from "./perf.ts";

/**
 * Fraction of the H units (columns of `h` [M, H]) that are exactly zero on every one of the M rows:
 * a ReLU unit that no probe input activates gets no gradient from them either (Dohare et al.'s dead
 * unit). A linear unit is almost never zero on every row, so a linear layer scores 0.
 */
export function deadFraction(h: ArrayLike<number>, M: number, H: number): number {
  return H > 0 ? deadUnits(h, M, H) / H : NaN; // the loop in the Wasm kernel: no interpreted first calls
}

/** Per seed, the mean |w| over every parameter: each leaf is [S, ...], so seed s owns the s-th slice of each. [S] */
export function meanAbsWeight(leaves: readonly ArrayLike<number>[], S: number): Float64Array {
  // Σ|w| per seed over the leaves in order, each leaf's entries in order, in the Wasm kernel: the
  // numbers of the plain loop, without its ~5 ms interpreted first call on the quickstart's 174k weights
  const sum = absSums(leaves, S), per = leaves.reduce((n, l) => n + l.length / S, 0); // parameters of one seed
  return sum.map((v) => (per > 0 ? v / per : NaN));
}

/**
 * Effective rank exp(−Σ p_i ln p_i), p_i = σ_i / Σ_j σ_j, of `x` [M, H] (Roy & Vetterli 2007), uncentred
 * as Dohare et al. use it: in [1, min(M, H)], 0 for the zero matrix. The same number as rank.ts's
 * `effectiveRank`, whose Jacobi eigensolver takes about 0.1–0.5 s on a 128×128 Gram matrix; here
 * Householder tridiagonalisation and implicit QL in Wasm take about half a millisecond, so it runs at
 * every checkpoint.
 * NaN if `x` holds a non-finite value.
 */
export function effectiveRankFast(x: ArrayLike<number>, M: number, H: number): number {
  return effectiveRanksFast([x], M, H)[0]!;
}

/** effectiveRankFast of each of `xs` (each [M, H]): the same numbers, faster on many (the kernel interleaves their eigenvalue iterations). */
export function effectiveRanksFast(xs: readonly ArrayLike<number>[], M: number, H: number): Float64Array {
  const finite = xs.map((x) => allFinite(x, M * H)); // false: a diverged model
  // eigenvalues of the smaller Gram matrix, XᵀX [H, H] or XXᵀ [M, M] (same non-zero spectrum), by
  // Householder tridiagonalisation and implicit QL in the Wasm kernel (src/kernels/linalg.c)
  const eigs = smallGramEigenvaluesMany(xs.filter((_, s) => finite[s]), M, H), n = Math.min(M, H);
  let k = 0;
  return Float64Array.from(xs, (_, s) => (finite[s] ? rankOf(eigs[k++]!, n) : NaN));
}

/** exp(−Σ p_i ln p_i) of the singular values √λ_i of the Gram's eigenvalues `eig` (those at round-off level count as 0). */
function rankOf(eig: Float64Array, n: number): number {
  const top = Math.max(0, ...eig), floor = n * Number.EPSILON * top; // round-off level of the Gram's spectrum
  const sv = Array.from(eig, (l) => (l > floor ? Math.sqrt(l) : 0));
  const total = sv.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let h = 0;
  for (const v of sv) if (v > 0) h -= (v / total) * Math.log(v / total);
  return Math.exp(h);
}

const panelDead = "plasticity: dead units", panelRank = "plasticity: effective rank of each layer";
export const plasticity = defineMetric({
  name: "plasticity",
  level: "seed",
  keys: [
    // units of layer ℓ zero on every counterfactual probe row (0 for a linear layer such as the bottleneck)
    { key: "plastic/dead:{layer}", title: "dead units at {layer}", axis: "fraction", range: [0, 1], panel: panelDead },
    // uncentred, as Dohare et al. use it: in [1, width]; 0 when every unit is dead
    { key: "plastic/rank:{layer}", title: "effective rank at {layer} (Roy & Vetterli 2007)", axis: "effective rank", panel: panelRank },
    { key: "plastic/weight", title: "mean weight magnitude", axis: "mean |w|", panel: "plasticity: mean weight magnitude" },
  ],
  create(plan, seeds) {
    const S = seeds.length, E = plan.world.trained, widths = plan.model.hidden;
    return {
      measure(ctx) {
        const { hidden, mechN } = ctx.counterfactual();
        const M = E * mechN, out: Record<string, Float64Array> = {};
        widths.forEach((H, l) => {
          const per = Array.from({ length: S }, (_, s) => hidden[l]!.subarray(s * M * H, (s + 1) * M * H)); // [S][E·mechN, H]
          out[`plastic/dead:L${l + 1}`] = Float64Array.from(per, (r) => deadFraction(r, M, H));
          out[`plastic/rank:L${l + 1}`] = effectiveRanksFast(per, M, H);
        });
        out["plastic/weight"] = meanAbsWeight(ctx.params(), S);
        return out;
      },
    };
  },
});

/**
 * Accuracy on `env` at the end of each of its completed phases, for one seed's checkpoints: the last
 * checkpoint at or before each phase's end (a phase with no checkpoint inside it is skipped).
 */
export function phaseEndAccuracy(steps: readonly number[], acc: readonly number[], phases: RunPlan["schedule"]["phases"], env: string): number[] {
  const now = steps[steps.length - 1] ?? 0, out: number[] = [];
  for (const p of phases) {
    if (p.env !== env || p.end > now) continue;
    let r = -1;
    for (let i = 0; i < steps.length && steps[i]! <= p.end; i++) r = i;
    if (r >= 0 && steps[r]! > p.start) out.push(acc[r]!);
  }
  return out;
}

/** The latest phase end's accuracy over the first one's: 1 = learns as well as it did fresh, below 1 = lost plasticity. NaN before a second phase ends. */
export function freshRatio(ends: readonly number[]): number {
  return ends.length >= 2 && ends[0]! > 0 ? ends[ends.length - 1]! / ends[0]! : NaN;
}

const panelFresh = "plasticity: accuracy at a phase's end relative to the first phase's";
export const plasticityFresh = defineMetric({
  name: "plasticity-fresh",
  level: "run",
  keys: [
    // per trained env: at the end of its latest completed phase over the end of its first phase (NaN until a second phase ends)
    { key: "plastic/fresh:{trained}", title: "accuracy at the end of the latest phase of {trained} relative to its first phase", axis: "ratio", panel: panelFresh },
    { key: "plastic/fresh", title: "accuracy at the end of a later phase relative to the first (mean over environments)", axis: "ratio", headline: true, panel: panelFresh },
  ],
  enabled: (plan) => plan.spec.schedule.kind !== "mixture", // a mixture has no phases to compare
  create(plan) {
    const S = plan.spec.seeds, envs = plan.envNames, phases = plan.schedule.phases;
    const steps: number[] = [], acc: number[][][] = envs.map(() => Array.from({ length: S }, () => [])); // [env][seed][checkpoint]
    const add = (step: number, value: (key: string, s: number) => number) => {
      steps.push(step);
      envs.forEach((e, k) => { for (let s = 0; s < S; s++) acc[k]![s]!.push(value(accuracyKey(e), s)); });
    };
    return {
      replay(points: MetricPoint[]) {
        const at = new Map<string, number>();
        for (const p of points) at.set(`${p.step}|${p.seed}|${p.key}`, p.value ?? NaN);
        for (const step of [...new Set(points.map((p) => p.step))].sort((a, b) => a - b)) add(step, (k, s) => at.get(`${step}|${s}|${k}`) ?? NaN);
      },
      measure(ctx: RunContext) {
        add(ctx.step, (k, s) => ctx.values[k]![s]!);
        const out: Record<string, Float64Array> = {}, mean = new Float64Array(S);
        const counted = new Float64Array(S);
        envs.forEach((e, k) => {
          const v = new Float64Array(S);
          for (let s = 0; s < S; s++) {
            v[s] = freshRatio(phaseEndAccuracy(steps, acc[k]![s]!, phases, e));
            if (!Number.isNaN(v[s]!)) [mean[s], counted[s]] = [mean[s]! + v[s]!, counted[s]! + 1];
          }
          out[`plastic/fresh:${e}`] = v;
        });
        out["plastic/fresh"] = mean.map((m, s) => (counted[s]! > 0 ? m / counted[s]! : NaN));
        return out;
      },
    };
  },
});
