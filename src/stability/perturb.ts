// The perturbations of a trainer (SPEC claim 5): scattered initial conditions (seed, data) probe
// its stability; small changes of the trainer itself (learning rate, momentum) probe its
// structural stability. Each dimension yields a few variant specs that differ from each other in
// that one respect only, so that member g of one variant and member g of another share everything
// else (initialisation and data stream, except where the dimension is exactly those).
import { parseSpec } from "../experiment/load.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import { EcotoneError, nearest } from "../util/errors.ts";
import { withDefaults } from "./_options.ts";

export const DIMENSIONS = ["seed", "data", "lr", "momentum"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const perturbDefaults = {
  scale: 0.2, // relative size of a trainer change: lr × (1 ± scale), (1 − momentum) × (1 ± scale)
  seedVariants: 2, // other base seeds tried by the seed dimension (seed + 1, seed + 2, ...)
  dataset: 0, // pool size of the data dimension when the spec draws fresh data; 0 = max(64, 8 × batch)
};
export type PerturbOptions = Partial<typeof perturbDefaults>;

export interface Variant {
  label: string; // "base", "lr×0.8", "seed=2", "bootstrap", ...
  changes: Record<string, number | boolean>; // the spec fields this variant sets, by dotted path
  spec: ExperimentSpec;
}

export interface DimensionPlan {
  dimension: Dimension;
  variants: Variant[]; // at least two, or none when the dimension does not apply (see note)
  note?: string; // why the dimension looks as it does, for the report
}

/** Parses `seed,data,lr,momentum`; an unknown name is an error naming the nearest valid one. */
export function parseDimensions(list: string): Dimension[] {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new EcotoneError("E_ARGS", `--perturb: expected some of ${DIMENSIONS.join(",")}, got nothing`);
  for (const n of names)
    if (!(DIMENSIONS as readonly string[]).includes(n)) {
      const near = nearest(n, DIMENSIONS);
      throw new EcotoneError("E_ARGS", `--perturb: unknown dimension: ${n}${near ? ` (did you mean ${near}?)` : ""}; expected some of ${DIMENSIONS.join(",")}`);
    }
  return [...new Set(names)] as Dimension[];
}

/**
 * The spec with novel environments to measure behaviour off the training distribution: a fresh
 * one, and a blend of the first two trained ones when there are two. Novel environments never
 * train, so adding them changes no training step, only what is probed.
 */
export function withNovel(spec: ExperimentSpec): { spec: ExperimentSpec; added: string[] } {
  if (spec.novel.length > 0) return { spec, added: [] };
  const envs = spec.envs.map((e) => e.name);
  const novel: ExperimentSpec["novel"] = [{ kind: "fresh", name: "novel-fresh" }];
  if (envs.length >= 2) novel.push({ kind: "blend", of: [envs[0]!, envs[1]!], weight: 0.5, name: "novel-blend" });
  return { spec: parseSpec({ ...spec, novel }), added: novel.map((n) => n.name!) };
}

/**
 * The base of a study: novel environments added (withNovel), and the weighted-sum baselines off:
 * they are no part of a stability question and would triple the cost of every run.
 */
export function studyBase(spec: ExperimentSpec): { spec: ExperimentSpec; added: string[] } {
  return withNovel(spec.baselines ? parseSpec({ ...spec, baselines: false }) : spec);
}

/** One variant: `base` with `changes` applied (dotted paths: "seed", "train.lr"). */
function variant(base: ExperimentSpec, label: string, changes: Record<string, number | boolean>): Variant {
  const train = { ...base.train };
  let seed = base.seed;
  for (const [path, v] of Object.entries(changes)) {
    if (path === "seed") seed = v as number;
    else (train as Record<string, unknown>)[path.replace(/^train\./, "")] = v;
  }
  const name = label === "base" ? base.name : `${base.name}/stability:${label}`;
  return { label, changes, spec: parseSpec({ ...base, name, seed, train }, `variant ${label}`) };
}

const round = (x: number) => Number(x.toPrecision(6)); // keeps labels and stored specs readable

/** The variants of one dimension around `base` (whose novel environments should already be set). */
export function planDimension(base: ExperimentSpec, dimension: Dimension, o: PerturbOptions = {}): DimensionPlan {
  const { scale, seedVariants, dataset } = withDefaults(perturbDefaults, o);
  if (!(scale >= 0 && scale < 1)) throw new EcotoneError("E_ARGS", `--scale: expected a number in [0, 1), got ${scale}`);
  const { train } = base;
  const me = variant(base, "base", {});
  switch (dimension) {
    case "seed": {
      const others = Array.from({ length: seedVariants }, (_, k) => base.seed + k + 1);
      return { dimension, variants: [me, ...others.map((s) => variant(base, `seed=${s}`, { seed: s }))] };
    }
    case "lr": {
      const lrs = [1 - scale, 1 + scale].map((f) => [f, round(train.lr * f)] as const);
      return { dimension, variants: [me, ...lrs.map(([f, lr]) => variant(base, `lr×${round(f)}`, { "train.lr": lr }))] };
    }
    case "momentum": {
      if (train.optimizer === "sgd")
        return { dimension, variants: [], note: "optimizer sgd has no momentum: dimension skipped (use optimizer momentum or adam)" };
      // Perturb the horizon 1/(1 − β), the scale on which momentum acts: β' = 1 − (1 − β)(1 ± scale).
      const betas = [1 + scale, 1 - scale].map((f) => Math.min(0.999, Math.max(0, round(1 - (1 - train.momentum) * f))));
      return { dimension, variants: [me, ...betas.map((b) => variant(base, `momentum=${b}`, { "train.momentum": b }))] };
    }
    case "data": {
      const P = train.dataset > 0 ? train.dataset : dataset > 0 ? dataset : Math.max(64, 8 * train.batch);
      const pool = variant(base, train.dataset > 0 && !train.bootstrap ? "base" : "pool", { "train.dataset": P, "train.bootstrap": false });
      const boot = variant(base, train.dataset > 0 && train.bootstrap ? "base" : "bootstrap", { "train.dataset": P, "train.bootstrap": true });
      const note = train.dataset > 0 ? undefined
        : `the spec draws fresh data every step: compared a fixed pool of ${P} examples per environment with each seed's bootstrap resample of it`;
      return { dimension, variants: [pool, boot], ...(note && { note }) };
    }
  }
}
