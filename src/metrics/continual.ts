// Continual-learning summaries of a performance matrix P[t][k]: accuracy (or expected reward) on
// environment k measured at the end of phase t. GEM's convention (Lopez-Paz & Ranzato 2017) is the
// square case where phase i trains task i; `learnedAt[k]`, the phase that first trained env k
// (default k), generalises it to cyclic schedules, where envs come back.

export type Matrix = readonly (readonly number[])[];

function shape(P: Matrix): { T: number; K: number } {
  const T = P.length;
  const K = P[0]?.length ?? 0;
  if (T === 0 || K === 0) throw new RangeError(`P: expected a non-empty matrix, got ${T}x${K}`);
  P.forEach((r, t) => {
    if (r.length !== K) throw new RangeError(`P[${t}]: expected ${K} columns, got ${r.length}`);
  });
  return { T, K };
}

function order(P: Matrix, learnedAt?: readonly number[]): number[] {
  const { T, K } = shape(P);
  const at = learnedAt ? [...learnedAt] : Array.from({ length: K }, (_, k) => k);
  if (at.length !== K) throw new RangeError(`learnedAt: expected ${K} entries, got ${at.length}`);
  at.forEach((a, k) => {
    if (!Number.isInteger(a) || a < 0 || a >= T) throw new RangeError(`learnedAt[${k}]: expected a row in [0, ${T}), got ${a}`);
  });
  return at;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const at = (P: Matrix, t: number, k: number) => P[t]![k]!;

/** Average accuracy after the last row: ACC = (1/K) Σ_k P[T-1][k] (GEM). */
export function averageAccuracy(P: Matrix): number {
  const { T } = shape(P);
  return mean([...P[T - 1]!]);
}

/** Per-env forgetting: f_k = max_{t<T-1} P[t][k] - P[T-1][k] (Chaudhry et al. 2018); NaN when T = 1. */
export function forgettingPerEnv(P: Matrix): number[] {
  const { T, K } = shape(P);
  if (T === 1) return Array<number>(K).fill(NaN);
  return Array.from({ length: K }, (_, k) => Math.max(...P.slice(0, T - 1).map((r) => r[k]!)) - at(P, T - 1, k));
}

/** Forgetting: mean of f_k over the envs learned before the last phase (Chaudhry et al. 2018). */
export function forgetting(P: Matrix, learnedAt?: readonly number[]): number {
  const a = order(P, learnedAt);
  const f = forgettingPerEnv(P);
  return mean(f.filter((_, k) => a[k]! < P.length - 1));
}

/** Backward transfer: mean over envs learned before the last phase of P[T-1][k] - P[l_k][k], l_k = learnedAt[k] (GEM). */
export function backwardTransfer(P: Matrix, learnedAt?: readonly number[]): number {
  const a = order(P, learnedAt);
  const T = P.length;
  return mean(a.flatMap((l, k) => (l < T - 1 ? [at(P, T - 1, k) - at(P, l, k)] : [])));
}

/** Forward transfer: mean over envs learned after phase 0 of P[l_k - 1][k] - b_k (GEM; b e.g. accuracy at init). */
export function forwardTransfer(P: Matrix, baseline: readonly number[], learnedAt?: readonly number[]): number {
  const a = order(P, learnedAt);
  if (baseline.length !== a.length) throw new RangeError(`baseline: expected ${a.length} entries, got ${baseline.length}`);
  return mean(a.flatMap((l, k) => (l > 0 ? [at(P, l - 1, k) - baseline[k]!] : [])));
}

/** Retention per env: P[T-1][k] / max_t P[t][k]; NaN where the best is <= 0. */
export function retentionPerEnv(P: Matrix): number[] {
  const { T, K } = shape(P);
  return Array.from({ length: K }, (_, k) => {
    const best = Math.max(...P.map((r) => r[k]!));
    return best > 0 ? at(P, T - 1, k) / best : NaN;
  });
}

/** Retention: mean over envs of final / best. */
export function retention(P: Matrix): number {
  return mean(retentionPerEnv(P));
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
