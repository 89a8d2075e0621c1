// How far apart the outcomes of training are, from the probe outputs of the final models
// (plain typed arrays [S, envs·N, C], as ShardTrainer.outputs() returns them). Distances are
// measured between pairs of models on the same probes, separately on the trained environments
// (in distribution) and on the novel ones (off distribution): path dependence is exactly a
// small distance in distribution with a large one off it.
import { js, kl } from "../metrics/divergence.ts";

export interface ProbeLayout {
  S: number; // models per run (seeds)
  E: number; // probed environments: trained first, then novel
  T: number; // trained environments
  N: number; // probes per environment
  C: number; // classes
}

/** Distances between two models, each averaged over the probes of a group of environments. */
export interface PairStats {
  jsIn: number; // mean JS (bits) between the output distributions, trained environments
  jsOff: number; // same on the novel environments (NaN without novel environments)
  klIn: number; // mean symmetrised KL (nats), ½ KL(p‖q) + ½ KL(q‖p), trained environments
  klOff: number;
  agreeIn: number; // fraction of probes where the greedy answers agree, trained environments
  agreeOff: number;
  accGapIn: number; // |accuracy difference| against the clean teacher, mean over trained environments
  accGapOff: number;
}

export const PAIR_KEYS = ["jsIn", "jsOff", "klIn", "klOff", "agreeIn", "agreeOff", "accGapIn", "accGapOff"] as const;

const argmax = (p: Float32Array, o: number, C: number) => {
  let best = 0;
  for (let c = 1; c < C; c++) if (p[o + c]! > p[o + best]!) best = c;
  return best;
};

/** Whether model s of a run has finite outputs (a diverged seed has NaN ones). */
export function alive(out: Float32Array, s: number, L: ProbeLayout): boolean {
  const per = L.E * L.N * L.C;
  for (let i = s * per; i < (s + 1) * per; i++) if (!Number.isFinite(out[i]!)) return false;
  return true;
}

/** Greedy accuracy of model s on environment e against the clean labels [E, N]. */
export function accuracy(out: Float32Array, s: number, e: number, labels: Int32Array, L: ProbeLayout): number {
  let hits = 0;
  for (let i = 0; i < L.N; i++) hits += +(argmax(out, ((s * L.E + e) * L.N + i) * L.C, L.C) === labels[e * L.N + i]);
  return hits / L.N;
}

/** Distances between model `sa` of run A and model `sb` of run B on every probe. */
export function pairStats(A: Float32Array, sa: number, B: Float32Array, sb: number, labels: Int32Array, L: ProbeLayout): PairStats {
  const { E, T, N, C } = L;
  const group = (envs: number[]) => {
    if (envs.length === 0) return { js: NaN, kl: NaN, agree: NaN, gap: NaN };
    let sJs = 0, sKl = 0, agree = 0, gap = 0;
    for (const e of envs) {
      for (let i = 0; i < N; i++) {
        const oa = ((sa * E + e) * N + i) * C, ob = ((sb * E + e) * N + i) * C;
        const p = A.subarray(oa, oa + C), q = B.subarray(ob, ob + C);
        sJs += js(p, q);
        sKl += 0.5 * (kl(p, q) + kl(q, p));
        agree += +(argmax(A, oa, C) === argmax(B, ob, C));
      }
      gap += Math.abs(accuracy(A, sa, e, labels, L) - accuracy(B, sb, e, labels, L));
    }
    const n = envs.length * N;
    return { js: sJs / n, kl: sKl / n, agree: agree / n, gap: gap / envs.length };
  };
  const inD = group(Array.from({ length: T }, (_, e) => e));
  const off = group(Array.from({ length: E - T }, (_, k) => T + k));
  return {
    jsIn: inD.js, jsOff: off.js, klIn: inD.kl, klOff: off.kl,
    agreeIn: inD.agree, agreeOff: off.agree, accGapIn: inD.gap, accGapOff: off.gap,
  };
}

/** The mean of each statistic over a list of pairs (NaN when there are none). */
export function meanStats(pairs: PairStats[]): PairStats {
  const out = {} as PairStats;
  for (const k of PAIR_KEYS) out[k] = pairs.length ? pairs.reduce((s, p) => s + p[k], 0) / pairs.length : NaN;
  return out;
}

/**
 * Spread across runs that differ in one respect: every unordered pair of runs (a, b), compared
 * member by member (model g of a against model g of b, which share everything else). Members
 * that diverged in either run are left out.
 */
export function matchedSpread(outputs: Float32Array[], labels: Int32Array, L: ProbeLayout): { stats: PairStats; pairs: number } {
  const pairs: PairStats[] = [];
  for (let a = 0; a < outputs.length; a++)
    for (let b = a + 1; b < outputs.length; b++)
      for (let g = 0; g < L.S; g++)
        if (alive(outputs[a]!, g, L) && alive(outputs[b]!, g, L)) pairs.push(pairStats(outputs[a]!, g, outputs[b]!, g, labels, L));
  return { stats: meanStats(pairs), pairs: pairs.length };
}

/** Spread within one run: every unordered pair of its (finite) members, i.e. across seeds. */
export function seedSpread(out: Float32Array, labels: Int32Array, L: ProbeLayout): { stats: PairStats; pairs: number } {
  const pairs: PairStats[] = [];
  for (let g = 0; g < L.S; g++)
    for (let h = g + 1; h < L.S; h++)
      if (alive(out, g, L) && alive(out, h, L)) pairs.push(pairStats(out, g, out, h, labels, L));
  return { stats: meanStats(pairs), pairs: pairs.length };
}
