// Behaviour measured as alignment with the teachers: at checkpoint t, under the cue of env e,
// what fraction of the counterfactual contents does the model answer as teacher k would?
// A[t][e][k] is a small profile, averaged over inputs, so it ignores inputs where the teachers'
// answers tie and the greedy action flickers, and counts only systematic changes of strategy.
//
//   conditionality = mean_t mean_k range_e A[t][e][k]          (does the cue change whom it follows?)
//
// Time is read against the schedule. Each series y_t = A[t][e][k] over the window is fitted by
// least squares as  a + b·s_t + Σ_j γ_j z[t][j] + residual,  s_t the checkpoint's step and z[t][j]
// the fraction of the training steps leading to checkpoint t that trained env j (the phase load):
//
//   churn = mean_e mean_k 2·MAD_t( Σ_j γ_j z[t][j] )   (the part locked to the schedule's phases)
//   trend = mean_e mean_k |b|·(s_last − s_first)        (the monotone drift across the window)
//
// and the residual (flicker, drift not locked to the phases) counts for neither. All are divided
// by the teachers' own conditionality (range_e of their agreement matrix), so a model that
// reproduces the teachers scores conditionality 1, one that follows the teacher of the phase in
// training, for equal time, churn 1 (MAD of a 0/1 series is 1/2), and one that moves steadily
// from one teacher to the other across the window trend 1 and churn 0. A mixture schedule loads
// no phase, so its churn is 0 by construction. Where the intercept and time already span the load
// (fewer than three checkpoints), the change is attributed to the trend. docs/metrics.md has the limits.

export interface AlignmentDims {
  T: number; // checkpoints in the window
  S: number; // seeds
  E: number; // environments (cue variants and teachers)
  N: number; // counterfactual contents
  C: number; // classes
}

/** Where the window's checkpoints lie on the schedule. */
export interface WindowSchedule {
  steps: readonly number[]; // [T] step of each window checkpoint
  load: Float64Array; // [T, E] phase load: fraction of the steps leading to checkpoint t that trained env j
}

export const alignmentDefaults = {
  minTarget: 0.05, // below this teachers' conditionality the teachers barely differ: raw values are returned
  converging: 0.1, // trend at or above which (and above churn) a seed is flagged as still converging (behav/converging)
};

/** A[t][s][e][k], flat: greedy agreement of each window checkpoint's outputs `[S, E, N, C]` with teacher k's labels `[E, N]`. */
export function alignmentProfile(window: readonly Float32Array[], labels: Int32Array, d: AlignmentDims): Float64Array {
  const { T, S, E, N, C } = d;
  const A = new Float64Array(T * S * E * E);
  window.forEach((p, t) => {
    for (let s = 0; s < S; s++)
      for (let e = 0; e < E; e++)
        for (let n = 0; n < N; n++) {
          const o = ((s * E + e) * N + n) * C;
          let best = 0;
          for (let c = 1; c < C; c++) if (p[o + c]! > p[o + best]!) best = c;
          for (let k = 0; k < E; k++) if (labels[k * N + n] === best) A[((t * S + s) * E + e) * E + k]! += 1 / N;
        }
  });
  return A;
}

/** The teachers' own conditionality: mean_k range_e of their agreement A*[e][k] on the same contents. */
export function targetConditionality(labels: Int32Array, E: number, N: number): number {
  let sum = 0;
  for (let k = 0; k < E; k++) {
    let lo = Infinity, hi = -Infinity;
    for (let e = 0; e < E; e++) {
      let agree = 0;
      for (let n = 0; n < N; n++) agree += +(labels[e * N + n] === labels[k * N + n]) / N;
      [lo, hi] = [Math.min(lo, agree), Math.max(hi, agree)];
    }
    sum += hi - lo;
  }
  return sum / E;
}

/**
 * Phase load `[T, E]` of checkpoints `steps` on a schedule's per-step `sequence` (env index, −1 for a
 * mixed batch): row t is the fraction of the training steps [prev, steps[t]) that trained env j,
 * prev being the checkpoint before (`from[t]`). A checkpoint measures the model after those steps.
 * A checkpoint with no steps before it (initialisation) takes the env of its own step, the phase
 * that is starting, so that learning from init inside the first phase is not read as a switch.
 */
export function phaseLoad(sequence: ArrayLike<number>, steps: readonly number[], from: readonly number[], E: number): Float64Array {
  const Z = new Float64Array(steps.length * E);
  steps.forEach((to, t) => {
    const empty = from[t]! >= to;
    const lo = empty ? Math.min(to, sequence.length - 1) : Math.max(0, from[t]!), hi = empty ? lo + 1 : Math.min(to, sequence.length);
    for (let i = lo; i < hi; i++) {
      const j = sequence[i]!;
      if (j >= 0 && j < E) Z[t * E + j]! += 1;
    }
    for (let j = 0; j < E; j++) Z[t * E + j]! /= Math.max(1, hi - lo);
  });
  return Z;
}

/**
 * Least squares on the columns [1, time, load_0 … load_{E−1}] (Gram–Schmidt in that order; a column
 * that the earlier ones already span is dropped, so the trend takes what it cannot tell from the
 * phases). Returns, for a series y `[T]`, its phase-locked fit Σ_j γ_j z[t][j] and its slope per step.
 */
export function phaseTrendFit(sched: WindowSchedule, E: number): (y: ArrayLike<number>) => { phase: Float64Array; slope: number } {
  const T = sched.steps.length;
  const t0 = sched.steps[0] ?? 0, span = (sched.steps[T - 1] ?? 0) - t0 || 1;
  const cols: Float64Array[] = [
    new Float64Array(T).fill(1),
    Float64Array.from(sched.steps, (s) => (s - t0) / span), // time in [0, 1] over the window
    ...Array.from({ length: E }, (_, j) => Float64Array.from({ length: T }, (_, t) => sched.load[t * E + j]!)),
  ];
  // Modified Gram–Schmidt: Q [T, K] orthonormal, R [K, K] upper triangular, over the kept columns.
  const kept: number[] = [], Q: Float64Array[] = [], R: number[][] = [];
  cols.forEach((c, i) => {
    const v = Float64Array.from(c), r: number[] = [];
    const norm0 = Math.hypot(...c);
    for (const q of Q) {
      let dot = 0;
      for (let t = 0; t < T; t++) dot += q[t]! * v[t]!;
      for (let t = 0; t < T; t++) v[t]! -= dot * q[t]!;
      r.push(dot);
    }
    const norm = Math.hypot(...v);
    if (norm0 === 0 || norm <= 1e-9 * norm0) return;
    for (let t = 0; t < T; t++) v[t]! /= norm;
    kept.push(i), Q.push(v), R.push([...r, norm]);
  });
  const K = kept.length;
  return (y) => {
    const qy = Q.map((q) => { let d = 0; for (let t = 0; t < T; t++) d += q[t]! * y[t]!; return d; });
    const beta = new Float64Array(K); // R β = Qᵀy, by back substitution (R[j] holds column j's entries of rows 0..j)
    for (let i = K - 1; i >= 0; i--) {
      let v = qy[i]!;
      for (let j = i + 1; j < K; j++) v -= R[j]![i]! * beta[j]!;
      beta[i] = v / R[i]![i]!;
    }
    const phase = new Float64Array(T);
    let slope = 0;
    kept.forEach((c, i) => {
      if (c === 1) slope = beta[i]! / span;
      else if (c >= 2) for (let t = 0; t < T; t++) phase[t]! += beta[i]! * cols[c]![t]!;
    });
    return { phase, slope };
  };
}

/** Twice the mean absolute deviation of a series: 1 for a 0/1 series split evenly in time. */
function twoMad(x: ArrayLike<number>): number {
  const T = x.length;
  let m = 0, mad = 0;
  for (let t = 0; t < T; t++) m += x[t]! / T;
  for (let t = 0; t < T; t++) mad += Math.abs(x[t]! - m) / T;
  return 2 * mad;
}

/** Per seed `[S]`: normalised conditionality, churn and trend; and the teachers' conditionality they are divided by. */
export interface Alignment { cond: Float64Array; churn: Float64Array; trend: Float64Array; target: number }

/**
 * Normalised conditionality, churn and trend per seed, from a window of outputs and where its
 * checkpoints lie on the schedule. Below `minTarget` the teachers barely differ and raw values are returned.
 */
export function alignment(window: readonly Float32Array[], labels: Int32Array, d: AlignmentDims, sched: WindowSchedule): Alignment {
  checkSchedule(d, sched);
  return alignmentOf(alignmentProfile(window, labels, d), targetConditionality(labels, d.E, d.N), d, sched);
}

/**
 * `alignment` from the window's profile A `[T, S, E, E]` (`alignmentProfile`; each checkpoint's block
 * depends on it alone, so a live metric computes it once per checkpoint) and the teachers' `targetConditionality`.
 */
export function alignmentOf(A: Float64Array, target: number, d: AlignmentDims, sched: WindowSchedule): Alignment {
  const { T, S, E } = d;
  checkSchedule(d, sched);
  if (A.length !== T * S * E * E) throw new RangeError(`alignment: expected a [${T}, ${S}, ${E}, ${E}] profile, got length ${A.length}`);
  const at = (t: number, s: number, e: number, k: number) => A[((t * S + s) * E + e) * E + k]!;
  const scale = target >= alignmentDefaults.minTarget ? target : 1;
  const fit = phaseTrendFit(sched, E);
  const span = T > 0 ? sched.steps[T - 1]! - sched.steps[0]! : 0;
  const cond = new Float64Array(S), churn = new Float64Array(S), trend = new Float64Array(S);
  const y = new Float64Array(T);
  for (let s = 0; s < S; s++) {
    let c = 0, h = 0, r = 0;
    for (let k = 0; k < E; k++) {
      for (let t = 0; t < T; t++) {
        let lo = Infinity, hi = -Infinity;
        for (let e = 0; e < E; e++) [lo, hi] = [Math.min(lo, at(t, s, e, k)), Math.max(hi, at(t, s, e, k))];
        c += (hi - lo) / (T * E);
      }
      for (let e = 0; e < E; e++) {
        for (let t = 0; t < T; t++) y[t] = at(t, s, e, k);
        const f = fit(y);
        h += twoMad(f.phase) / (E * E);
        r += (Math.abs(f.slope) * span) / (E * E);
      }
    }
    cond[s] = c / scale;
    churn[s] = h / scale;
    trend[s] = r / scale;
  }
  return { cond, churn, trend, target };
}

function checkSchedule({ T, E }: AlignmentDims, sched: WindowSchedule): void {
  if (sched.steps.length !== T || sched.load.length !== T * E)
    throw new RangeError(`alignment: expected a schedule of ${T} steps and a [${T}, ${E}] load, got ${sched.steps.length} steps and ${sched.load.length} loads`);
}

/**
 * 1 where a seed is still converging: its trend is at least `threshold` and exceeds its churn (the
 * window's change is mostly a monotone drift, not phase-locked), else 0; NaN stays NaN.
 */
export function converging(trend: ArrayLike<number>, churn: ArrayLike<number>, threshold = alignmentDefaults.converging): Float64Array {
  return Float64Array.from(trend, (v, s) => (Number.isFinite(v) && Number.isFinite(churn[s]) ? +(v >= threshold && v > churn[s]!) : NaN));
}
