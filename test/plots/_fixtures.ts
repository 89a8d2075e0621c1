// Seeded synthetic runs for the plot tests: a blocks schedule over envs A, B, C and metrics that
// look like a real run (the trained env climbs, the others sit near chance). Never the clock.

import { LABEL_CODES } from "../../src/metrics/classify.ts";
import type { MetricPoint, Phase } from "../../src/store/types.ts";
import type { DiagramCell } from "../../src/plots/index.ts";
import { Rng } from "../../src/util/rng.ts";

export const ENVS = ["A", "B", "C"] as const;

/** Blocks of `len` steps cycling through ENVS, `n` phases. */
export function blocks(n: number, len: number): Phase[] {
  return Array.from({ length: n }, (_, i) => ({ start: i * len, end: (i + 1) * len, env: ENVS[i % ENVS.length]! }));
}

/** Checkpoints every `every` steps up to the schedule's end, `seeds` seeds. */
export function syntheticRun(opts: { seeds?: number; every?: number; phases?: Phase[]; seed?: number } = {}): {
  points: MetricPoint[]; phases: Phase[]; steps: number[];
} {
  const { seeds = 4, every = 50 } = opts;
  const phases = opts.phases ?? blocks(6, 300);
  const end = phases.at(-1)!.end;
  const rng = new Rng(opts.seed ?? 1);
  const points: MetricPoint[] = [];
  const steps: number[] = [];
  for (let step = 0; step <= end; step += every) {
    steps.push(step);
    const phase = phases.find((p) => step >= p.start && step < p.end) ?? phases.at(-1)!;
    for (let seed = 0; seed < seeds; seed++) {
      for (const env of ENVS) {
        const trained = phase.env === env ? 0.5 * Math.min(1, (step - phase.start) / 200) : 0;
        points.push({ step, seed, key: `perf/acc:${env}`, value: 0.35 + trained + 0.05 * rng.normal() });
      }
      points.push({ step, seed, key: "behav/churn", value: 0.2 + 0.02 * rng.normal() });
      points.push({ step, seed, key: "behav/conditionality", value: 0.1 + step / (10 * end) + 0.02 * rng.normal() });
      points.push({ step, seed, key: "mech/decodability", value: 0.5 + 0.4 * (step / end) + 0.02 * rng.normal() });
    }
  }
  return { points, phases, steps };
}

/** A 3 × 2 × 2 sweep (width × l1 × volatility) with a CI per winning class. */
export function syntheticSweep(seed = 3): DiagramCell[] {
  const rng = new Rng(seed);
  const cells: DiagramCell[] = [];
  for (const volatility of [0.01, 0.1]) {
    for (const width of [16, 64, 256]) {
      for (const l1 of [0, 0.001]) {
        const label = LABEL_CODES[rng.int(LABEL_CODES.length)]!;
        const s = Math.round(100 * (0.5 + 0.4 * rng.uniform())) / 100;
        cells.push({
          params: { volatility, width, l1 }, label,
          scores: { [label]: s },
          ci: { [label]: { lo: Math.round(100 * (s - 0.1)) / 100, hi: Math.round(100 * (s + 0.05)) / 100 } },
        });
      }
    }
  }
  return cells;
}

/** Occurrences of `needle` in `hay`. */
export const count = (hay: string, needle: string | RegExp): number =>
  typeof needle === "string" ? hay.split(needle).length - 1 : (hay.match(new RegExp(needle, "g")) ?? []).length;

/** The visible strings of an SVG's <text> elements in document order; lines of one joined by "\n". */
export const texts = (svg: string): string[] =>
  [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)].map((m) =>
    m[1]!.replace(/<\/tspan><tspan[^>]*>/g, "\n").replace(/<[^>]+>/g, "").replace(/&amp;/g, "&"));

/** The <g> of marks of one kind, e.g. "mark-line", as text. */
export function markGroups(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<g class="${cls} role-mark[^"]*"[^>]*>(.*?)</g>`, "g"))].map((m) => m[1]!);
}
