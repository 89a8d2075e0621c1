// Structural stability map: a learning-rate × momentum grid, each cell a seed ensemble trained to
// the end. Per cell: the final loss, the fraction of seeds that diverged, and the spread of the
// outcomes across seeds. A structurally stable trainer sits in a region where all three change
// slowly; the edge of stability shows as divergence fraction rising with the learning rate.
import { parseSpec } from "../experiment/load.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import { EcotoneError } from "../util/errors.ts";
import { finite, mean as meanOf } from "../util/stats.ts";
import { ensureRun, layoutOf, type StudyOptions } from "./runs.ts";
import { seedSpread } from "./spread.ts";
import { studyBase } from "./perturb.ts";

export const mapDefaults = {
  grid: [5, 5] as [number, number], // learning rates × momenta
  lrSpan: 10, // default lr axis: log-spaced from base lr / lrSpan to base lr × lrSpan
  momentumRange: [0, 0.95] as [number, number], // default momentum axis, spaced evenly in log(1 − β)
};

export interface MapCell {
  lr: number;
  momentum: number;
  runId: string;
  loss: number; // final cross-entropy on the trained environments' probes, mean over finite seeds (NaN: all diverged)
  trainLoss: number; // final training loss (objective-specific), mean over finite seeds
  accIn: number; // final accuracy on the trained environments, mean over finite seeds
  diverged: number; // fraction of seeds whose loss went non-finite
  spread: number; // mean pairwise JS (bits) across the cell's finite seeds, trained-environment probes
  spreadOff: number; // same on the novel environments
}

export interface StabilityMap {
  spec: string;
  optimizer: "momentum" | "adam";
  seeds: number;
  lrs: number[];
  momenta: number[];
  cells: MapCell[]; // row-major: for each momentum, every lr
  notes: string[];
}

/** `n` log-spaced values from lo to hi (lo itself when n = 1). */
export function logspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Number((n === 1 ? lo : lo * (hi / lo) ** (i / (n - 1))).toPrecision(4)));
}

/** Momenta from lo to hi, evenly spaced in log(1 − β): the horizon 1/(1 − β) grows geometrically. */
export function momentumAxis(lo: number, hi: number, n: number): number[] {
  if (!(lo >= 0 && hi < 1 && lo <= hi)) throw new EcotoneError("E_ARGS", `momentum range: expected 0 ≤ lo ≤ hi < 1, got ${lo}:${hi}`);
  return logspace(1 - lo, 1 - hi, n).map((h) => Number((1 - h).toPrecision(4)));
}

export interface MapOptions extends StudyOptions {
  lrs?: number[]; // the lr axis; default from `grid` and `lrSpan` around the spec's lr
  momenta?: number[]; // the momentum axis; default from `grid` and `momentumRange`
  grid?: [number, number];
}

export async function stabilityMap(input: ExperimentSpec, o: MapOptions): Promise<StabilityMap> {
  const [nl, nm] = o.grid ?? mapDefaults.grid;
  const notes: string[] = [];
  let base = studyBase(input).spec;
  if (base.train.optimizer === "sgd") {
    // plain SGD is the momentum = 0 row of momentum SGD: the map needs an optimizer that reads β
    base = parseSpec({ ...base, train: { ...base.train, optimizer: "momentum" } });
    notes.push("optimizer sgd has no momentum: mapped momentum SGD instead (its momentum = 0 row is plain SGD)");
  }
  const lrs = o.lrs ?? logspace(base.train.lr / mapDefaults.lrSpan, base.train.lr * mapDefaults.lrSpan, nl);
  const momenta = o.momenta ?? momentumAxis(...mapDefaults.momentumRange, nm);
  for (const lr of lrs) if (!(lr > 0)) throw new EcotoneError("E_ARGS", `map: learning rates must be > 0, got ${lr}`);
  for (const m of momenta) if (!(m >= 0 && m < 1)) throw new EcotoneError("E_ARGS", `map: momenta must be in [0, 1), got ${m}`);
  const { plan, layout, labels } = layoutOf(base);
  const cells: MapCell[] = [];
  const mean = (xs: number[]) => meanOf(finite(xs));
  for (const momentum of momenta)
    for (const lr of lrs) {
      const spec = parseSpec({ ...base, name: `${base.name}/map:lr=${lr},momentum=${momentum}`, train: { ...base.train, lr, momentum } });
      const r = await ensureRun(spec, o);
      const f = r.summary.final;
      const perEnv = (prefix: string) => mean(plan.envNames.map((e) => f[`${prefix}:${e}`]?.mean ?? NaN));
      const within = seedSpread(r.outputs, labels, layout).stats;
      cells.push({
        lr, momentum, runId: r.runId,
        loss: perEnv("perf/loss"), trainLoss: f["train/loss"]?.mean ?? NaN, accIn: perEnv("perf/acc"),
        diverged: new Set(r.summary.diverged.map((d) => d.seed)).size / spec.seeds,
        spread: within.jsIn, spreadOff: within.jsOff,
      });
    }
  return { spec: input.name, optimizer: base.train.optimizer as "momentum" | "adam", seeds: base.seeds, lrs, momenta, cells, notes };
}
