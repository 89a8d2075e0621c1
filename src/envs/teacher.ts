// The reference environment family of SPEC.md: content x shared by all environments, a cue
// that identifies the environment with tunable salience, and a teacher whose rule blends a
// shared rule with an environment-specific one.
import { z } from "zod";
import { derangement, Rng, STREAM } from "../util/rng.ts";
import { normalise, orthonormalish } from "./cue.ts";
import { cueDecodability, labelAgreement, makeProbes } from "./probes.ts";
import { defineWorld, type ProbeSet, type World, type WorldFacts } from "./world.ts";

export const familyDefaults = {
  content: 24, // dims of the content x, drawn N(0, I) and shared by every environment
  cue: 8, // dims of the cue vector that tells environments apart
  classes: 8, // output classes (actions); must exceed the number of environments
  distinguishability: 1, // cue salience: 0 = the cue is pure noise, 1 = the cue decodes the environment perfectly
  similarity: 0, // teacher blend: 1 = every environment uses the shared rule, 0 = rules conflict on every input
  labelNoise: 0, // probability that a training label (hence reward, preferred answer) is a uniform random class
  seed: 0, // seeds the world (teacher weights, cue prototypes, novel rules), not the models
};

export const familySchema = z.strictObject({
  kind: z.literal("teacher").default("teacher"),
  content: z.int().min(1).max(4096).default(familyDefaults.content),
  cue: z.int().min(1).max(1024).default(familyDefaults.cue),
  classes: z.int().min(2).max(256).default(familyDefaults.classes),
  distinguishability: z.number().min(0).max(1).default(familyDefaults.distinguishability),
  similarity: z.number().min(0).max(1).default(familyDefaults.similarity),
  labelNoise: z.number().min(0).max(1).default(familyDefaults.labelNoise),
  seed: z.int().min(0).default(familyDefaults.seed),
});
export type Family = z.infer<typeof familySchema>;

const envName = z.string().regex(/^[A-Za-z][\w-]*$/, "a name of letters, digits, _ or -");

/** A novel environment for fragility tests: a fresh cue and rule, or a blend of two trained ones. */
export const novelSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("fresh"), name: envName.optional() }),
  z.strictObject({
    kind: z.literal("blend"),
    of: z.tuple([z.string(), z.string()]),
    weight: z.number().min(0).max(1).default(0.5), // weight of the first environment in the blend
    name: envName.optional(),
  }),
]);
export type NovelSpec = z.infer<typeof novelSchema>;

/** One environment of the world: its cue prototype and how it maps teacher logits. */
export interface EnvRule {
  name: string;
  novel: boolean;
  prototype: Float64Array; // [cue], unit norm
  // The rule is a mixture of label permutations of the shared logits: z_e[perm[c]] = z[c].
  perms: { perm: Int32Array; weight: number }[];
}

/** The teacher world: shared weights, environments (trained first, then novel). */
export class TeacherWorld implements World {
  readonly family: Family;
  readonly classes: number;
  readonly seed: number;
  readonly envs: EnvRule[];
  readonly trained: number; // the first `trained` envs are the training environments
  readonly inputDim: number;
  private readonly W: Float64Array; // [classes, content] shared rule
  private readonly z: Float64Array; // scratch for label(), called for every training example
  private readonly blended: Float64Array;

  constructor(family: Family, envNames: string[], novel: NovelSpec[] = []) {
    const { content, cue, classes, seed } = family;
    if (envNames.length >= classes)
      throw new Error(`need more classes than environments: ${classes} classes for ${envNames.length} environments`);
    this.family = family;
    [this.classes, this.seed] = [classes, seed];
    this.inputDim = content + cue;
    this.trained = envNames.length;
    const rng = new Rng(seed, STREAM.env);
    this.W = new Float64Array(classes * content);
    [this.z, this.blended] = [new Float64Array(classes), new Float64Array(classes)];
    for (let i = 0; i < this.W.length; i++) this.W[i] = rng.normal() / Math.sqrt(content);
    const protos = orthonormalish(rng, envNames.length, cue);
    // Distinct non-zero cyclic shifts: at similarity 0 any two environments disagree on every input.
    this.envs = envNames.map((name, e) => ({
      name, novel: false, prototype: protos[e]!, perms: [{ perm: shift(classes, e + 1), weight: 1 }],
    }));
    novel.forEach((n, i) => {
      if (n.kind === "fresh") {
        const p = new Float64Array(cue);
        for (let j = 0; j < cue; j++) p[j] = rng.normal();
        this.envs.push({ name: n.name ?? `novel${i + 1}`, novel: true, prototype: normalise(p), perms: [{ perm: derangement(rng, classes), weight: 1 }] });
      } else {
        const known = (name: string) => {
          if (!envNames.includes(name)) throw new Error(`novel.${i}.of: unknown environment: ${name} (have ${envNames.join(", ")})`);
          return this.env(name);
        };
        const a = known(n.of[0]), b = known(n.of[1]);
        const p = new Float64Array(cue);
        for (let j = 0; j < cue; j++) p[j] = n.weight * a.prototype[j]! + (1 - n.weight) * b.prototype[j]!;
        this.envs.push({
          name: n.name ?? `blend(${a.name},${b.name})`, novel: true, prototype: normalise(p),
          perms: [...a.perms.map((q) => ({ ...q, weight: q.weight * n.weight })), ...b.perms.map((q) => ({ ...q, weight: q.weight * (1 - n.weight) }))],
        });
      }
    });
  }

  env(name: string): EnvRule {
    const e = this.envs.find((x) => x.name === name);
    if (!e) throw new Error(`unknown environment: ${name}`);
    return e;
  }
  index(name: string): number {
    const i = this.envs.findIndex((x) => x.name === name);
    if (i < 0) throw new Error(`unknown environment: ${name}`);
    return i;
  }

  /** Writes the cue for env e into out[off..off+cue): δ·√cue·μ_e + (1−δ)·ξ, ξ ~ N(0, I). */
  writeCue(e: number, rng: Rng, out: Float32Array, off: number, noise?: Float64Array): void {
    const { cue, distinguishability: d } = this.family;
    const proto = this.envs[e]!.prototype;
    const scale = d * Math.sqrt(cue);
    for (let j = 0; j < cue; j++) out[off + j] = scale * proto[j]! + (1 - d) * (noise ? noise[j]! : rng.normal());
  }

  /** The teacher's clean label for content x (at x[off..off+content)) in env e. */
  label(e: number, x: ArrayLike<number>, off = 0): number {
    const { classes, content, similarity: s } = this.family;
    const z = this.z;
    for (let c = 0; c < classes; c++) {
      let acc = 0;
      for (let j = 0; j < content; j++) acc += this.W[c * content + j]! * x[off + j]!;
      z[c] = acc;
    }
    const blended = this.blended;
    for (let c = 0; c < classes; c++) blended[c] = s * z[c]!;
    for (const { perm, weight } of this.envs[e]!.perms)
      for (let c = 0; c < classes; c++) blended[perm[c]!] = blended[perm[c]!]! + (1 - s) * weight * z[c]!;
    let best = 0;
    for (let c = 1; c < classes; c++) if (blended[c]! > blended[best]!) best = c;
    return best;
  }

  /** Draws one example of env e into x (row of length inputDim at off); returns its clean label. */
  sample(e: number, rng: Rng, x: Float32Array, off: number): number {
    const { content } = this.family;
    for (let j = 0; j < content; j++) x[off + j] = rng.normal();
    this.writeCue(e, rng, x, off + content);
    return this.label(e, x, off);
  }

  /** A training label: the clean one, or with probability labelNoise a uniform random class. */
  noisy(label: number, rng: Rng): number {
    return rng.uniform() < this.family.labelNoise ? rng.int(this.family.classes) : label;
  }

  probes(n: number): ProbeSet {
    return makeProbes(this, n);
  }

  facts(): WorldFacts {
    return { cueDecodability: cueDecodability(this), labelAgreement: this.trained >= 2 ? labelAgreement(this, 0, 1) : null };
  }
}

/** The reference family of SPEC.md, registered as `world: { kind: teacher }` (the default kind). */
export const teacher = defineWorld<Family>({
  kind: "teacher",
  schema: familySchema,
  novel: novelSchema,
  create: (config, envs, novel) => new TeacherWorld(config, envs, novel as NovelSpec[]),
});

function shift(n: number, k: number): Int32Array {
  const p = new Int32Array(n);
  for (let c = 0; c < n; c++) p[c] = (c + k) % n;
  return p;
}
