// Continual-learning summaries of a performance matrix P[t][k]: accuracy (or expected reward) on
// environment k at row t. In the papers' square case row i is measured after training task i
// (GEM: Lopez-Paz & Ranzato 2017; Chaudhry et al. 2018), and that is the default here. `EnvRows`
// says where each env's training lies among the rows, which generalises the definitions to
// checkpoint rows and to cyclic schedules, where an env is trained again later: the live metrics
// (timeline.ts) are these functions on the checkpoint matrix so far. With T rows, "now" = row T−1.
import { mean } from "../util/stats.ts";

export type Matrix = readonly (readonly number[])[];

/** Where each env's training lies among the rows of P. */
export interface EnvRows {
  learnedAt: readonly number[]; // [K] first row measured after env k's training began (Infinity: not trained by row T−1). Square case: k
  endedAt?: readonly number[]; // [K] row at the end of k's latest phase, GEM's R_{i,i} for backward transfer (NaN: none). Default: learnedAt
  current?: readonly number[]; // envs in training at row T−1, excluded from forgetting and BWT. Default: those with learnedAt = T−1
}

function shape(P: Matrix): { T: number; K: number } {
  const T = P.length;
  const K = P[0]?.length ?? 0;
  if (T === 0 || K === 0) throw new RangeError(`P: expected a non-empty matrix, got ${T}x${K}`);
  P.forEach((r, t) => {
    if (r.length !== K) throw new RangeError(`P[${t}]: expected ${K} columns, got ${r.length}`);
  });
  return { T, K };
}

/** The env rows, validated, with defaults filled (a plain array is `learnedAt`, the GEM signature). */
function rowsOf(P: Matrix, rows?: readonly number[] | EnvRows): { T: number; K: number; learnedAt: number[]; endedAt: number[]; current: Set<number> } {
  const { T, K } = shape(P);
  const r: EnvRows = !rows ? { learnedAt: Array.from({ length: K }, (_, k) => k) } : "learnedAt" in rows ? rows : { learnedAt: rows };
  const learnedAt = [...r.learnedAt];
  if (learnedAt.length !== K) throw new RangeError(`learnedAt: expected ${K} entries, got ${learnedAt.length}`);
  learnedAt.forEach((a, k) => {
    if (a !== Infinity && (!Number.isInteger(a) || a < 0 || a >= T)) throw new RangeError(`learnedAt[${k}]: expected a row in [0, ${T}) or Infinity, got ${a}`);
  });
  const endedAt = [...(r.endedAt ?? learnedAt)];
  if (endedAt.length !== K) throw new RangeError(`endedAt: expected ${K} entries, got ${endedAt.length}`);
  endedAt.forEach((a, k) => {
    if (Number.isFinite(a) && (!Number.isInteger(a) || a < 0 || a >= T)) throw new RangeError(`endedAt[${k}]: expected a row in [0, ${T}) or NaN, got ${a}`);
  });
  const current = new Set(r.current ?? learnedAt.flatMap((a, k) => (a === T - 1 ? [k] : [])));
  for (const k of current) if (!Number.isInteger(k) || k < 0 || k >= K) throw new RangeError(`current: expected env indices in [0, ${K}), got ${k}`);
  return { T, K, learnedAt, endedAt, current };
}

const at = (P: Matrix, t: number, k: number) => P[t]![k]!;
const envs = (K: number, keep: (k: number) => boolean) => Array.from({ length: K }, (_, k) => k).filter(keep);

/** Average accuracy: ACC = mean over the envs trained by row T−1 of P[T−1][k] (GEM: all tasks, at the end). */
export function averageAccuracy(P: Matrix, rows?: readonly number[] | EnvRows): number {
  const { T, K, learnedAt } = rowsOf(P, rows);
  return mean(envs(K, (k) => learnedAt[k]! <= T - 1).map((k) => at(P, T - 1, k)));
}

/** Per-env forgetting: f_k = max_{t<T-1} P[t][k] - P[T-1][k] (Chaudhry et al. 2018, f_j^k); NaN when T = 1. */
export function forgettingPerEnv(P: Matrix): number[] {
  const { T, K } = shape(P);
  if (T === 1) return Array<number>(K).fill(NaN);
  return Array.from({ length: K }, (_, k) => Math.max(...P.slice(0, T - 1).map((r) => r[k]!)) - at(P, T - 1, k));
}

/**
 * Forgetting (Chaudhry et al. 2018, "Riemannian Walk", F_k): F = mean over the envs learned
 * before the current one of f_k = max over earlier rows of P[t][k] − P[T−1][k]. "Learned before":
 * learnedAt < T−1, and, on a cyclic schedule, not the env in training now (`current`).
 */
export function forgetting(P: Matrix, rows?: readonly number[] | EnvRows): number {
  const { T, K, learnedAt, current } = rowsOf(P, rows);
  const f = forgettingPerEnv(P);
  return mean(envs(K, (k) => learnedAt[k]! < T - 1 && !current.has(k)).map((k) => f[k]!));
}

/**
 * Backward transfer (GEM, Lopez-Paz & Ranzato 2017): BWT = mean over the envs learned before the
 * current one of P[T−1][k] − P[e_k][k], e_k = the row at the end of k's phase (R_{i,i}). On a
 * cyclic schedule e_k is the end of k's latest phase, so re-learning k is not counted as transfer.
 */
export function backwardTransfer(P: Matrix, rows?: readonly number[] | EnvRows): number {
  const { T, K, learnedAt, endedAt, current } = rowsOf(P, rows);
  return mean(envs(K, (k) => learnedAt[k]! < T - 1 && !current.has(k) && Number.isFinite(endedAt[k])).map((k) => at(P, T - 1, k) - at(P, endedAt[k]!, k)));
}

/**
 * Forward transfer (GEM): FWT = mean over the envs first trained after the first ones of
 * P[l_k − 1][k] − b_k, the accuracy just before k is first trained against b_k, its accuracy at
 * random initialisation (on a checkpoint matrix, row 0).
 */
export function forwardTransfer(P: Matrix, baseline: readonly number[], rows?: readonly number[] | EnvRows): number {
  const { K, learnedAt } = rowsOf(P, rows);
  if (baseline.length !== K) throw new RangeError(`baseline: expected ${K} entries, got ${baseline.length}`);
  const first = Math.min(...learnedAt);
  return mean(envs(K, (k) => Number.isFinite(learnedAt[k]) && learnedAt[k]! > first).map((k) => at(P, learnedAt[k]! - 1, k) - baseline[k]!));
}

/** Retention per env: P[T-1][k] / max_t P[t][k]; NaN where the best is <= 0. */
export function retentionPerEnv(P: Matrix): number[] {
  const { T, K } = shape(P);
  return Array.from({ length: K }, (_, k) => {
    const best = Math.max(...P.map((r) => r[k]!));
    return best > 0 ? at(P, T - 1, k) / best : NaN;
  });
}

/**
 * Retention (ecotone's own, no external source: the ratio form of forgetting): mean over the envs
 * trained by row T−1, the env in training included, of P[T−1][k] / max_t P[t][k], in [0, 1].
 */
export function retention(P: Matrix, rows?: readonly number[] | EnvRows): number {
  const { T, K, learnedAt } = rowsOf(P, rows);
  const r = retentionPerEnv(P);
  return mean(envs(K, (k) => learnedAt[k]! <= T - 1).map((k) => r[k]!));
}

/** Performance normalised between chance (0) and the specialist's level (1): (p - chance) / (specialist - chance). */
export function normalisedPerformance(p: number, chance: number, specialist: number): number {
  if (specialist === chance) throw new RangeError(`normalisedPerformance: expected specialist != chance, got both ${chance}`);
  return (p - chance) / (specialist - chance);
}

/** Normalise every entry of P with per-env chance and specialist levels (a number applies to all envs). */
export function normaliseMatrix(P: Matrix, chance: number | readonly number[], specialist: number | readonly number[]): number[][] {
  const { K } = shape(P);
  const perEnv = (v: number | readonly number[], name: string) => {
    if (typeof v === "number") return Array<number>(K).fill(v);
    if (v.length !== K) throw new RangeError(`${name}: expected ${K} entries, got ${v.length}`);
    return v;
  };
  const c = perEnv(chance, "chance");
  const s = perEnv(specialist, "specialist");
  return P.map((r) => r.map((p, k) => normalisedPerformance(p, c[k]!, s[k]!)));
}
