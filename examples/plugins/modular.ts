// A plugin world: modular arithmetic on Z_p. Every environment sees the same content, two
// residues a and b (one-hot), and answers a + k_e·b mod p with its own multiplier k_e: the first
// two are addition and subtraction. Two rules agree only where (k_e − k_f)·b ≡ 0, so on 1/p of
// the inputs when p is prime. A cue segment after the content tells the environments apart, with
// the teacher world's salience knob.
import { z } from "zod";
import { defineWorld, Rng, STREAM, type ProbeSet, type World, type WorldFacts } from "ecotone/extend";

export const modularDefaults = {
  modulus: 7, // p: residues 0…p−1 and as many answer classes; a prime makes any two rules disagree on all but b = 0
  cue: 4, // dims of the cue vector that tells environments apart
  distinguishability: 1, // cue salience: 0 = the cue is pure noise, 1 = the cue decodes the environment perfectly
  labelNoise: 0, // probability that a training label is a uniform random residue
  seed: 0, // seeds the cue prototypes and the probe sets, not the models
};

const schema = z.strictObject({
  kind: z.literal("modular"),
  modulus: z.int().min(3).max(97).default(modularDefaults.modulus),
  cue: z.int().min(1).max(256).default(modularDefaults.cue),
  distinguishability: z.number().min(0).max(1).default(modularDefaults.distinguishability),
  labelNoise: z.number().min(0).max(1).default(modularDefaults.labelNoise),
  seed: z.int().min(0).default(modularDefaults.seed),
});
type Config = z.infer<typeof schema>;

/** A held-out operation: a + multiplier·b under a fresh cue, evaluated but never trained. */
const novel = z.strictObject({
  kind: z.literal("rule"),
  multiplier: z.int().min(1),
  name: z.string().regex(/^[A-Za-z][\w-]*$/).optional(), // default k<multiplier>
});

/** Trained multipliers 1, p−1, 2, p−2, …: a + b, a − b, a + 2b, a − 2b, … (distinct and non-zero). */
const multiplier = (e: number, p: number) => (e % 2 === 0 ? e / 2 + 1 : p - (e + 1) / 2);

class ModularWorld implements World {
  readonly inputDim: number; // [one-hot a (p), one-hot b (p), cue]
  readonly classes: number;
  readonly envs: { name: string; novel: boolean; k: number; proto: Float64Array }[];
  readonly trained: number;
  readonly seed: number;

  constructor(readonly config: Config, names: string[], held: z.infer<typeof novel>[]) {
    const p = config.modulus;
    if (names.length > p - 1) throw new Error(`modulus ${p} has ${p - 1} distinct rules, got ${names.length} environments`);
    [this.inputDim, this.classes, this.trained, this.seed] = [2 * p + config.cue, p, names.length, config.seed];
    const rng = new Rng(config.seed, STREAM.env), protos: Float64Array[] = [];
    const proto = () => protos[protos.push(unit(rng, config.cue, protos)) - 1]!;
    this.envs = names.map((name, e) => ({ name, novel: false, k: multiplier(e, p), proto: proto() }));
    for (const n of held) this.envs.push({ name: n.name ?? `k${n.multiplier}`, novel: true, k: n.multiplier % p, proto: proto() });
  }

  /** Env e's answer to (a, b). */
  rule(e: number, a: number, b: number): number {
    return (a + this.envs[e]!.k * b) % this.config.modulus;
  }

  /** Writes content (a, b) and env e's cue, δ·√cue·μ_e + (1−δ)·ξ, into row `off`; `noise` fixes ξ. */
  write(e: number, a: number, b: number, rng: Rng, x: Float32Array, off: number, noise?: Float64Array): void {
    const { modulus: p, cue, distinguishability: d } = this.config;
    x.fill(0, off, off + 2 * p);
    [x[off + a], x[off + p + b]] = [1, 1];
    for (let j = 0; j < cue; j++) x[off + 2 * p + j] = d * Math.sqrt(cue) * this.envs[e]!.proto[j]! + (1 - d) * (noise ? noise[j]! : rng.normal());
  }

  sample(e: number, rng: Rng, x: Float32Array, off: number): number {
    const a = rng.int(this.classes), b = rng.int(this.classes);
    this.write(e, a, b, rng, x, off);
    return this.rule(e, a, b);
  }

  noisy(label: number, rng: Rng): number {
    return rng.uniform() < this.config.labelNoise ? rng.int(this.classes) : label;
  }

  /** Each env's probes from its own stream; counterfactuals: one (a, b) and one cue noise under every trained cue. */
  probes(n: number): ProbeSet {
    const E = this.envs.length, T = this.trained, D = this.inputDim;
    const x = new Float32Array(E * n * D), labels = new Int32Array(E * n); // [E, n, D], [E, n]
    for (let e = 0; e < E; e++) {
      const rng = new Rng(this.seed, STREAM.probe, e);
      for (let i = 0; i < n; i++) labels[e * n + i] = this.sample(e, rng, x, (e * n + i) * D);
    }
    const cf = new Float32Array(T * n * D), cfLabels = new Int32Array(T * n); // [T, n, D], [T, n]
    const rng = new Rng(this.seed, STREAM.probe, 1_000_003), noise = new Float64Array(this.config.cue);
    for (let i = 0; i < n; i++) {
      const a = rng.int(this.classes), b = rng.int(this.classes);
      for (let j = 0; j < noise.length; j++) noise[j] = rng.normal();
      for (let e = 0; e < T; e++) {
        this.write(e, a, b, rng, cf, (e * n + i) * D, noise);
        cfLabels[e * n + i] = this.rule(e, a, b);
      }
    }
    return { envs: E, n, x, labels, cf, cfLabels };
  }

  facts(): WorldFacts {
    const p = this.classes;
    let same = 0; // exact: over all p² contents
    if (this.trained >= 2) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) same += +(this.rule(0, a, b) === this.rule(1, a, b));
    return { cueDecodability: this.cueDecodability(), labelAgreement: this.trained >= 2 ? same / (p * p) : null };
  }

  /** Monte-Carlo accuracy of the nearest-prototype rule on the cue alone (Bayes-optimal: unit prototypes, isotropic noise). */
  private cueDecodability(samples = 20_000): number {
    const T = this.trained, { cue, distinguishability: d } = this.config;
    if (T < 2) return 1;
    const rng = new Rng(this.seed, STREAM.probe, 7_777_777);
    let hits = 0;
    for (let i = 0; i < samples; i++) {
      const e = i % T, v = this.envs[e]!.proto.map((m) => d * Math.sqrt(cue) * m + (1 - d) * rng.normal());
      let best = 0, bestDot = -Infinity;
      for (let f = 0; f < T; f++) {
        const dot = v.reduce((s, vj, j) => s + vj * this.envs[f]!.proto[j]!, 0);
        if (dot > bestDot) [best, bestDot] = [f, dot];
      }
      hits += +(best === e);
    }
    return hits / samples;
  }
}

/** A random unit vector in R^d, orthogonal to `prev` while they leave room (so cues are equally apart). */
function unit(rng: Rng, d: number, prev: Float64Array[]): Float64Array {
  const v = Float64Array.from({ length: d }, () => rng.normal());
  if (prev.length < d)
    for (const u of prev) {
      const dot = v.reduce((s, vj, j) => s + vj * u[j]!, 0);
      v.forEach((vj, j) => (v[j] = vj - dot * u[j]!));
    }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** `world: { kind: modular, modulus: 7 }`; novel entries `{ kind: rule, multiplier: 2 }`. */
export default defineWorld<Config>({
  kind: "modular",
  schema,
  novel,
  create: (config, envs, held) => new ModularWorld(config, envs, held as z.infer<typeof novel>[]),
});
