// The cue segment shared by the cued worlds (teacher, lmsk): one unit prototype per environment,
// shown as δ·√d·μ_e + (1 − δ)·ξ, and how well the environment can be read from it alone.
import { Rng, STREAM } from "../util/rng.ts";

/** A world with a cue: its environments' prototypes and how it writes a cue. */
export interface Cued {
  readonly trained: number;
  readonly envs: readonly { prototype: Float64Array }[];
  writeCue(e: number, rng: Rng, out: Float32Array, off: number): void;
}

export function normalise(v: Float64Array): Float64Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

/** k random unit vectors in R^d, orthonormal when k ≤ d (Gram–Schmidt), so envs are equally apart. */
export function orthonormalish(rng: Rng, k: number, d: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    const v = new Float64Array(d);
    for (let j = 0; j < d; j++) v[j] = rng.normal();
    if (i < d)
      for (const u of out) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += v[j]! * u[j]!;
        for (let j = 0; j < d; j++) v[j]! -= dot * u[j]!;
      }
    out.push(normalise(v));
  }
  return out;
}

/**
 * Monte-Carlo accuracy of the nearest-prototype rule on the cue alone, which is Bayes-optimal here
 * (isotropic noise, equal-norm prototypes, equal priors): 1/envs at distinguishability 0, 1 at 1.
 */
export function nearestPrototypeAccuracy(w: Cued, cue: number, seed: number, samples = 20_000): number {
  const T = w.trained;
  if (T < 2) return 1;
  const rng = new Rng(seed, STREAM.probe, 7_777_777);
  const buf = new Float32Array(cue);
  let hits = 0;
  for (let i = 0; i < samples; i++) {
    const e = i % T;
    w.writeCue(e, rng, buf, 0);
    let best = -1, bestDot = -Infinity;
    for (let k = 0; k < T; k++) {
      const p = w.envs[k]!.prototype;
      let dot = 0;
      for (let j = 0; j < cue; j++) dot += p[j]! * buf[j]!;
      if (dot > bestDot) [best, bestDot] = [k, dot];
    }
    if (best === e) hits++;
  }
  return hits / samples;
}
