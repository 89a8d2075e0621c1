// The weighted-sum test (SPEC claim 1), seed by seed against baselines from the same
// initialisation: functional distance (mean JS on the probes) to the stationary-mixture model and
// to each specialist on its own environment, and accuracy gaps to them, trained and novel.
import { meanJs } from "./divergence.ts";

export interface WeightedSumDims {
  S: number; // seeds (the baselines' outputs are sliced to the same seeds)
  C: number; // classes
  N: number; // probes per environment
  E: number; // environments probed: trained first, then novel
  trained: number; // how many of them are trained
  labels: Int32Array; // [E, N] clean teacher labels
  names: string[]; // environment names, [E]
}

/** Outputs are [S, E·N, C]; the references likewise, specialists one per trained environment. */
export function weightedSum(probs: Float32Array, ref: { mixture?: Float32Array; specialists?: Float32Array[] }, d: WeightedSumDims): Record<string, Float64Array> {
  const { S, C, N, E, trained: T, labels, names } = d;
  const rows = E * N;
  const block = (p: Float32Array, s: number, e: number) => p.subarray((s * rows + e * N) * C, (s * rows + (e + 1) * N) * C);
  const js = (a: Float32Array, b: Float32Array, s: number, envs: number[]) => envs.reduce((acc, e) => acc + meanJs(block(a, s, e), block(b, s, e), C), 0) / envs.length;
  const acc = (p: Float32Array, s: number, e: number) => {
    let hits = 0;
    for (let i = 0; i < N; i++) {
      const o = (s * rows + e * N + i) * C;
      let best = 0;
      for (let c = 1; c < C; c++) if (p[o + c]! > p[o + best]!) best = c;
      hits += +(best === labels[e * N + i]);
    }
    return hits / N;
  };
  const per = (f: (s: number) => number) => Float64Array.from({ length: S }, (_, s) => f(s));
  const trainedEnvs = Array.from({ length: T }, (_, e) => e), novel = Array.from({ length: E - T }, (_, i) => T + i);
  const out: Record<string, Float64Array> = {};
  const { mixture, specialists } = ref;
  if (mixture) {
    out["ws/jsMixture"] = per((s) => js(probs, mixture, s, trainedEnvs));
    for (const e of trainedEnvs) out[`ws/vsMixture:${names[e]}`] = per((s) => acc(probs, s, e) - acc(mixture, s, e));
    if (novel.length) out["ws/novelVsMixture"] = per((s) => novel.reduce((a, e) => a + acc(probs, s, e) - acc(mixture, s, e), 0) / novel.length);
  }
  if (specialists) {
    out["ws/jsSpecialist"] = per((s) => trainedEnvs.reduce((a, e) => a + js(probs, specialists[e]!, s, [e]), 0) / T);
    for (const e of trainedEnvs) out[`ws/vsSpecialist:${names[e]}`] = per((s) => acc(probs, s, e) - acc(specialists[e]!, s, e));
    if (mixture) for (const e of trainedEnvs) out[`ws/mixtureVsSpecialist:${names[e]}`] = per((s) => acc(mixture, s, e) - acc(specialists[e]!, s, e));
  }
  return out;
}
