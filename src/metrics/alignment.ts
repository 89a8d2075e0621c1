// Behaviour measured as alignment with the teachers: at checkpoint t, under the cue of env e,
// what fraction of the counterfactual contents does the model answer as teacher k would?
// A[t][e][k] is a small profile, averaged over inputs, so it ignores inputs where the teachers'
// answers tie and the greedy action flickers, and counts only systematic changes of strategy.
//
//   conditionality = mean_t  mean_k  range_e A[t][e][k]      (does the cue change whom it follows?)
//   churn          = mean_e  mean_k  2·MAD_t A[t][e][k]      (does time change whom it follows?)
//
// both divided by the teachers' own conditionality (range_e of their agreement matrix), so a model
// that reproduces the teachers scores 1 and one that ignores the cue scores 0. A model that
// alternates between two teachers for equal time has churn 1 (MAD of a 0/1 series is 1/2).

export interface AlignmentDims {
  T: number; // checkpoints in the window
  S: number; // seeds
  E: number; // environments (cue variants and teachers)
  N: number; // counterfactual contents
  C: number; // classes
}

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

/** Normalised conditionality and churn per seed, from a window of outputs. Below 0.05 the teachers barely differ and raw values are returned. */
export function alignment(window: readonly Float32Array[], labels: Int32Array, d: AlignmentDims): { cond: Float64Array; churn: Float64Array; target: number } {
  const { T, S, E } = d;
  const A = alignmentProfile(window, labels, d);
  const at = (t: number, s: number, e: number, k: number) => A[((t * S + s) * E + e) * E + k]!;
  const target = targetConditionality(labels, E, d.N);
  const scale = target >= 0.05 ? target : 1;
  const cond = new Float64Array(S), churn = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    let c = 0, h = 0;
    for (let k = 0; k < E; k++) {
      for (let t = 0; t < T; t++) {
        let lo = Infinity, hi = -Infinity;
        for (let e = 0; e < E; e++) [lo, hi] = [Math.min(lo, at(t, s, e, k)), Math.max(hi, at(t, s, e, k))];
        c += (hi - lo) / (T * E);
      }
      for (let e = 0; e < E; e++) {
        let m = 0, mad = 0;
        for (let t = 0; t < T; t++) m += at(t, s, e, k) / T;
        for (let t = 0; t < T; t++) mad += Math.abs(at(t, s, e, k) - m) / T;
        h += (2 * mad) / (E * E);
      }
    }
    cond[s] = c / scale;
    churn[s] = h / scale;
  }
  return { cond, churn, target };
}
