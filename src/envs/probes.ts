// Fixed probe sets, generated once per run from the world seed: every checkpoint evaluates the
// same inputs, so changes over time are changes of the model, not of the sample.
import { Rng, STREAM } from "../util/rng.ts";
import { nearestPrototypeAccuracy } from "./cue.ts";
import type { ProbeSet } from "./world.ts";

/** What the probes read of a cue world (the teacher family): a structural type, so teacher.ts can import this file. */
interface CueWorld {
  readonly family: { content: number; cue: number; seed: number };
  readonly envs: readonly { prototype: Float64Array }[];
  readonly trained: number;
  readonly inputDim: number;
  writeCue(e: number, rng: Rng, out: Float32Array, off: number, noise?: Float64Array): void;
  label(e: number, x: ArrayLike<number>, off?: number): number;
  sample(e: number, rng: Rng, x: Float32Array, off: number): number;
}

// Counterfactual probes here: the content of env 0's probes under every trained env's cue (the
// same cue noise draw), labelled by each env's rule.

export function makeProbes(world: CueWorld, n: number): ProbeSet {
  const E = world.envs.length, T = world.trained, D = world.inputDim;
  const { content, cue } = world.family;
  const x = new Float32Array(E * n * D), labels = new Int32Array(E * n);
  for (let e = 0; e < E; e++) {
    const rng = new Rng(world.family.seed, STREAM.probe, e);
    for (let i = 0; i < n; i++) labels[e * n + i] = world.sample(e, rng, x, (e * n + i) * D);
  }
  const cf = new Float32Array(T * n * D), cfLabels = new Int32Array(T * n);
  const rng = new Rng(world.family.seed, STREAM.probe, 1_000_003);
  const noise = new Float64Array(cue);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < cue; j++) noise[j] = rng.normal();
    for (let e = 0; e < T; e++) {
      const off = (e * n + i) * D;
      for (let j = 0; j < content; j++) cf[off + j] = x[i * D + j]!; // content of env 0's probe i
      world.writeCue(e, rng, cf, off + content, noise);
      cfLabels[e * n + i] = world.label(e, cf, off);
    }
  }
  return { envs: E, n, x, labels, cf, cfLabels };
}

/** How well the trained environment can be decoded from the cue alone (see cue.ts). */
export function cueDecodability(world: CueWorld, samples = 20_000): number {
  return nearestPrototypeAccuracy(world, world.family.cue, world.family.seed, samples);
}

/** Fraction of inputs on which two trained environments' teachers agree (task similarity in accuracy terms). */
export function labelAgreement(world: CueWorld, a: number, b: number, samples = 5_000): number {
  const rng = new Rng(world.family.seed, STREAM.probe, 8_888_888);
  const x = new Float32Array(world.family.content);
  let same = 0;
  for (let i = 0; i < samples; i++) {
    for (let j = 0; j < x.length; j++) x[j] = rng.normal(); // the label rule reads only the content
    if (world.label(a, x) === world.label(b, x)) same++;
  }
  return same / samples;
}
