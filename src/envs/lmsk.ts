// The LMS-k simplicity world (Shah et al. 2020, "The Pitfalls of Simplicity Bias in Neural
// Networks"): a binary label carried by one linear coordinate (the simple feature) and by
// `slabs` k-slab coordinates (the complex one), then a cue segment that tells environments apart
// as in the teacher world. Environments differ in which feature carries the label; novel ones
// randomise a feature (make it independent of the label) to measure which one a model relies on.
import { z } from "zod";
import { specError } from "../util/errors.ts";
import { Rng, STREAM } from "../util/rng.ts";
import { nearestPrototypeAccuracy, orthonormalish } from "./cue.ts";
import { defineWorld, type ProbeSet, type World, type WorldFacts } from "./world.ts";

/** Which feature carries the label in an environment; the other is drawn from an independent label. */
export const FEATURES = ["both", "linear", "slab"] as const;
export type Feature = (typeof FEATURES)[number];

export const lmskDefaults = {
  k: 5 as 3 | 5 | 7, // slabs per slab coordinate (the paper's layouts: LMS-3, LMS-5, LMS-7)
  slabs: 49, // slab coordinates: with the linear one, 50 content dims as in the paper's d = 50
  margin: 0.1, // half-gap between classes on [-1, 1]: linear |x₀| ≥ margin, slabs 2·margin apart (the paper's 0.1)
  cue: 4, // dims of the cue vector that tells environments apart (0: no cue)
  distinguishability: 1, // cue salience: 0 = the cue is pure noise, 1 = the cue decodes the environment perfectly
  labelNoise: 0, // probability that a training label is flipped
  seed: 0, // seeds the world (cue prototypes, probe sets), not the models
  features: {} as Record<string, Feature>, // trained env name → the feature carrying its label; an env not named is "both" (Shah's data)
};

export const lmskSchema = z.strictObject({
  kind: z.literal("lmsk"),
  k: z.union([z.literal(3), z.literal(5), z.literal(7)]).default(lmskDefaults.k),
  slabs: z.int().min(1).max(4096).default(lmskDefaults.slabs),
  margin: z.number().gt(0).lt(0.5).default(lmskDefaults.margin),
  cue: z.int().min(0).max(1024).default(lmskDefaults.cue),
  distinguishability: z.number().min(0).max(1).default(lmskDefaults.distinguishability),
  labelNoise: z.number().min(0).max(1).default(lmskDefaults.labelNoise),
  seed: z.int().min(0).default(lmskDefaults.seed),
  features: z.record(z.string(), z.enum(FEATURES)).default(lmskDefaults.features),
});
export type LmskConfig = z.infer<typeof lmskSchema>;

/** A held-out environment: env `cueOf` (its cue and labelling) with `feature` randomised (Shah's S-randomised sets). */
export const lmskNovelSchema = z.strictObject({
  kind: z.literal("randomise"),
  feature: z.enum(["linear", "slab"]),
  name: z.string().optional(), // default no-linear / no-slab
  cueOf: z.string().optional(), // trained env whose cue and labelling it keeps; default the first
});
export type LmskNovel = z.infer<typeof lmskNovelSchema>;

/** One environment: its cue prototype and which features carry its label. */
export interface LmskEnv {
  name: string;
  novel: boolean;
  prototype: Float64Array; // [cue], unit norm
  linear: boolean; // the linear coordinate follows the label
  slab: boolean; // the slab coordinates follow the label
}

// The paper's probability of each slab (left to right) within its class, for k = 3, 5, 7
// (gendata.py: slab5_pval 3/4, slab7_pval 7/8); mass concentrates toward the centre.
const SLAB_WEIGHTS: Record<3 | 5 | 7, number[]> = {
  3: [1 / 2, 1, 1 / 2],
  5: [1 / 8, 1 / 2, 3 / 4, 1 / 2, 1 / 8],
  7: [1 / 16, 1 / 4, 7 / 16, 1 / 2, 7 / 16, 1 / 4, 1 / 16],
};

export class LmskWorld implements World {
  readonly config: LmskConfig;
  readonly classes = 2; // binary labels, as in the paper
  readonly seed: number;
  readonly envs: LmskEnv[]; // trained first, then novel
  readonly trained: number; // the first `trained` envs are the training environments
  readonly inputDim: number; // [linear, slabs..., cue...]
  readonly slabWidth: number; // of each of the k slabs on [-1, 1]
  // Per class: its slabs' left edges and cumulative within-class probabilities.
  private readonly slabOf: { lo: number[]; cum: number[] }[];

  constructor(config: LmskConfig, envNames: string[], novel: LmskNovel[] = []) {
    const { k, slabs, margin, cue, seed, features } = config;
    if (margin >= 1 / (k - 1)) throw specError(`world.margin: ${margin} leaves no room for ${k} slabs (expected < ${+(1 / (k - 1)).toFixed(4)})`);
    for (const name of Object.keys(features))
      if (!envNames.includes(name)) throw specError(`world.features: unknown environment: ${name} (have ${envNames.join(", ")})`);
    this.config = config;
    this.seed = seed;
    this.trained = envNames.length;
    this.inputDim = 1 + slabs + cue;
    // k slabs of equal width with a 2·margin gap between neighbours fill [-1, 1]; the centre slab is class 0.
    this.slabWidth = (2 - 2 * (k - 1) * margin) / k;
    this.slabOf = [0, 1].map((c) => {
      const lo: number[] = [], w: number[] = [];
      for (let j = 0; j < k; j++)
        if (Math.abs(j - (k - 1) / 2) % 2 === c) {
          lo.push(-1 + j * (this.slabWidth + 2 * margin));
          w.push(SLAB_WEIGHTS[k][j]!);
        }
      const total = w.reduce((a, b) => a + b, 0);
      let acc = 0;
      return { lo, cum: w.map((x) => (acc += x / total)) };
    });
    const protos = orthonormalish(new Rng(seed, STREAM.env), envNames.length, cue);
    this.envs = envNames.map((name, e) => {
      const f = features[name] ?? "both";
      return { name, novel: false, prototype: protos[e]!, linear: f !== "slab", slab: f !== "linear" };
    });
    novel.forEach((n, i) => {
      const of = n.cueOf ?? envNames[0]!;
      const base = this.envs.find((x) => !x.novel && x.name === of);
      if (!base) throw specError(`novel.${i}.cueOf: unknown environment: ${of} (have ${envNames.join(", ")})`);
      const name = n.name ?? `no-${n.feature}`;
      if (this.envs.some((x) => x.name === name)) throw specError(`novel.${i}: duplicate environment name: ${name} (give it a name)`);
      // Randomising the only feature that carries base's label leaves an env at chance by construction.
      this.envs.push({ ...base, name, novel: true, linear: base.linear && n.feature !== "linear", slab: base.slab && n.feature !== "slab" });
    });
  }

  index(name: string): number {
    const i = this.envs.findIndex((x) => x.name === name);
    if (i < 0) throw new Error(`unknown environment: ${name}`);
    return i;
  }

  /** Writes the content for a linear bit and a slab bit into x[off..off+1+slabs). */
  writeContent(lin: number, slab: number, rng: Rng, x: Float32Array, off: number): void {
    const { margin, slabs } = this.config;
    x[off] = (lin ? 1 : -1) * (margin + (1 - margin) * rng.uniform()); // uniform on ±[margin, 1]
    const { lo, cum } = this.slabOf[slab]!;
    for (let j = 1; j <= slabs; j++) {
      const u = rng.uniform();
      let s = 0;
      while (s < cum.length - 1 && u >= cum[s]!) s++;
      x[off + j] = lo[s]! + this.slabWidth * rng.uniform();
    }
  }

  /** Writes the cue for env e into out[off..off+cue): δ·√cue·μ_e + (1−δ)·ξ, ξ ~ N(0, I). */
  writeCue(e: number, rng: Rng, out: Float32Array, off: number, noise?: Float64Array): void {
    const { cue, distinguishability: d } = this.config;
    const proto = this.envs[e]!.prototype;
    const scale = d * Math.sqrt(cue);
    for (let j = 0; j < cue; j++) out[off + j] = scale * proto[j]! + (1 - d) * (noise ? noise[j]! : rng.normal());
  }

  /**
   * Env e's target for content drawn from a linear bit and a slab bit. Where both features carry
   * the label the bits agree in training; on a conflicting content the target is the linear bit
   * (the feature Shah et al. find models rely on), so a "both" env agrees with a "linear" one.
   */
  target(e: number, lin: number, slab: number): number {
    return this.envs[e]!.linear ? lin : slab;
  }

  sample(e: number, rng: Rng, x: Float32Array, off: number): number {
    const env = this.envs[e]!;
    const y = rng.int(2);
    this.writeContent(env.linear ? y : rng.int(2), env.slab ? y : rng.int(2), rng, x, off);
    this.writeCue(e, rng, x, off + 1 + this.config.slabs);
    return y;
  }

  /** A training label: flipped with probability labelNoise. */
  noisy(label: number, rng: Rng): number {
    return rng.uniform() < this.config.labelNoise ? 1 - label : label;
  }

  /**
   * Per env n probes from its own stream; counterfactual contents carry independent linear and
   * slab bits (so envs whose label features differ disagree on half of them), each shown under
   * every trained env's cue with one cue-noise draw and labelled by that env's target.
   */
  probes(n: number): ProbeSet {
    const E = this.envs.length, T = this.trained, D = this.inputDim, C = 1 + this.config.slabs;
    const x = new Float32Array(E * n * D), labels = new Int32Array(E * n); // [E, n, D], [E, n]
    for (let e = 0; e < E; e++) {
      const rng = new Rng(this.seed, STREAM.probe, e);
      for (let i = 0; i < n; i++) labels[e * n + i] = this.sample(e, rng, x, (e * n + i) * D);
    }
    const cf = new Float32Array(T * n * D), cfLabels = new Int32Array(T * n); // [T, n, D], [T, n]
    const rng = new Rng(this.seed, STREAM.probe, 1_000_003);
    const content = new Float32Array(C), noise = new Float64Array(this.config.cue);
    for (let i = 0; i < n; i++) {
      const lin = rng.int(2), slab = rng.int(2);
      this.writeContent(lin, slab, rng, content, 0);
      for (let j = 0; j < noise.length; j++) noise[j] = rng.normal();
      for (let e = 0; e < T; e++) {
        const off = (e * n + i) * D;
        cf.set(content, off);
        this.writeCue(e, rng, cf, off + C, noise);
        cfLabels[e * n + i] = this.target(e, lin, slab);
      }
    }
    return { envs: E, n, x, labels, cf, cfLabels };
  }

  facts(): WorldFacts {
    return { cueDecodability: this.cueDecodability(), labelAgreement: this.trained >= 2 ? this.labelAgreement(0, 1) : null };
  }

  /** Accuracy of the best rule that reads only the cue (cue.ts). */
  cueDecodability(samples = 20_000): number {
    return nearestPrototypeAccuracy(this, this.config.cue, this.seed, samples);
  }

  /** Fraction of contents (independent linear and slab bits) on which envs a and b's targets agree: exact, over the 4 bit pairs. */
  labelAgreement(a: number, b: number): number {
    let same = 0;
    for (const lin of [0, 1]) for (const slab of [0, 1]) same += +(this.target(a, lin, slab) === this.target(b, lin, slab));
    return same / 4;
  }
}

/** Registered as `world: { kind: lmsk }`; novel entries `{ kind: randomise, feature: linear | slab }`. */
export const lmsk = defineWorld<LmskConfig>({
  kind: "lmsk",
  schema: lmskSchema,
  novel: lmskNovelSchema,
  create: (config, envs, novel) => new LmskWorld(config, envs, novel as LmskNovel[]),
});
