// Robustness to dropping weights (DropConnect, Wan et al. 2013): loss and accuracy when each
// parameter is zeroed with probability p. Weight noise (robustness.ts) asks how far a minimum's
// basin extends in every direction; dropout asks whether the function survives losing parts of
// itself, the redundancy that activation dropout trains for. It needs nothing from the model but
// its parameters, so it runs on any user model.
import { tree } from "@jax-js/jax";
import { Rng } from "../util/rng.ts";
import { type Params, asRecord, assertFinite, curveStats, expect, flatSpec, fromFlat, jitted, toFlat } from "./_tree.ts";
import type { Evaluate, NoiseCurve } from "./robustness.ts";

/** This file's random stream, clear of `STREAM` in _tree.ts (101–106). */
const DROPOUT_STREAM = 107;

export interface DropoutOptions {
  rates?: number[]; // drop probabilities p in [0, 1), one point of the curve each
  draws?: number; // masks averaged per rate
  seed?: number;
  // Scale survivors by 1/(1 − p) (inverted dropout), so that every weight keeps its expected value
  // and a function linear in the weights keeps its expected output; false drops without rescaling.
  rescale?: boolean;
  // Leave 0-d and 1-d leaves (biases, gains) alone, as dropout on units never touches them.
  keepBiases?: boolean;
}

/**
 * Metrics under weight dropout: for each rate p, mean and spread over `draws` of
 * `evaluate(w ⊙ m / (1 − p), batch)` with m_i ~ Bernoulli(1 − p). Draw k uses the same uniform
 * numbers at every rate (common random numbers): a weight dropped at p is dropped at every larger
 * p, so the curve is monotone in the mask, not noisy. Borrows its arguments.
 */
export function weightDropoutCurve<P extends Params, B extends Params>(
  evaluate: Evaluate<P, B>,
  params: P,
  batch: B,
  { rates = [0, 0.05, 0.1, 0.2, 0.3], draws = 8, seed = 0, rescale = true, keepBiases = true }: DropoutOptions = {},
): NoiseCurve & { rates: number[] } {
  expect(rates.length > 0 && rates.every((p) => p >= 0 && p < 1), "rates: probabilities in [0, 1)", rates);
  expect(Number.isInteger(draws) && draws >= 1, "draws: an integer ≥ 1", draws);
  const spec = flatSpec(params);
  const w = toFlat(tree.ref(params));
  const kept = new Uint8Array(spec.size).fill(1); // 0 where a leaf is exempt
  if (keepBiases) spec.shapes.forEach((shape, i) => shape.length < 2 && kept.fill(0, spec.offsets[i], spec.offsets[i + 1]));
  const run = jitted((p: P, b: B) => asRecord(evaluate(p, b)));
  const samples: Record<string, Float64Array[]> = {}; // name -> [rate][draw]
  const u = new Float32Array(spec.size);
  const moved = new Float32Array(spec.size);
  try {
    for (let k = 0; k < draws; k++) {
      const rng = new Rng(seed, DROPOUT_STREAM, k);
      for (let i = 0; i < u.length; i++) u[i] = rng.uniform();
      rates.forEach((p, r) => {
        const keep = rescale ? 1 / (1 - p) : 1;
        for (let i = 0; i < w.length; i++) moved[i] = !kept[i] ? w[i]! : u[i]! < p ? 0 : w[i]! * keep;
        const out = run(fromFlat<P>(spec, moved), tree.ref(batch));
        for (const [name, value] of Object.entries(out)) {
          const rows = (samples[name] ??= rates.map(() => new Float64Array(draws)));
          rows[r]![k] = assertFinite(value.item(), `metric ${name} under weight dropout p=${p}, draw ${k}`);
        }
      });
    }
  } finally {
    run.dispose();
  }
  return { rates: [...rates], sigmas: [...rates], metrics: curveStats(samples) };
}
