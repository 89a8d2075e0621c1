// Loss-landscape slices (Li et al. 2018, "Visualizing the loss landscape of neural nets"):
// L(w + α d₁ + β d₂) on a grid, along random directions rescaled filter by filter to the norm of
// the weights they perturb. Without that rescaling, scale-invariant networks make any minimum
// look as sharp or as flat as one likes, and slices of different models are not comparable.
import { numpy as np, tree } from "@jax-js/jax";
import { Rng } from "../util/rng.ts";
import { type Loss, type Params, STREAM, assertFinite, expect, flatSpec, fromFlat, jitted, toFlat } from "./_tree.ts";

export interface DirectionOptions {
  seed?: number; // seed of the Gaussian draw
  // What to do with 0-d and 1-d leaves (biases, norm gains). "zero": leave them unperturbed, as
  // in Li et al.'s figures (their `ignore='biasbn'`); "norm": treat the whole vector as one filter.
  bias?: "zero" | "norm";
  // Axis that indexes filters in leaves of rank ≥ 2. Each slice along it (a leading-axis row by
  // default, as for a PyTorch [out, in] weight) is rescaled to the norm of the same slice of w.
  // For `x @ W` with W [in, out], pass 1 to normalise per output unit instead.
  filterAxis?: number;
}

/** A random direction, filter-normalised to `params` (borrowed). Returns fresh arrays. */
export function filterNormalizedDirection<P extends Params>(
  params: P,
  { seed = 0, bias = "zero", filterAxis = 0 }: DirectionOptions = {},
): P {
  expect(bias === "zero" || bias === "norm", `bias: "zero" or "norm"`, bias);
  const spec = flatSpec(params);
  const w = toFlat(tree.ref(params));
  const d = new Float32Array(spec.size);
  new Rng(seed, STREAM.slice).fillNormal(d);
  spec.shapes.forEach((shape, leaf) => {
    const start = spec.offsets[leaf]!;
    const end = spec.offsets[leaf + 1]!;
    if (shape.length < 2 && bias === "zero") {
      d.fill(0, start, end);
      return;
    }
    // a 0-d or 1-d leaf is one filter (axis −1); a higher-rank one has shape[filterAxis] filters
    const axis = shape.length < 2 ? -1 : filterAxis;
    const legal = axis === -1 || (Number.isInteger(axis) && axis >= 0 && axis < shape.length);
    expect(legal, `filterAxis in [0, ${shape.length}) for leaf ${leaf} of shape [${shape}]`, filterAxis);
    // filter of flat index i: (i / inner) mod filters, with inner = product of trailing dims
    const filters = axis < 0 ? 1 : shape[axis]!;
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const wn = new Float64Array(filters);
    const dn = new Float64Array(filters);
    for (let i = start; i < end; i++) {
      const f = Math.floor((i - start) / inner) % filters;
      wn[f]! += w[i]! ** 2;
      dn[f]! += d[i]! ** 2;
    }
    for (let i = start; i < end; i++) {
      const f = Math.floor((i - start) / inner) % filters;
      d[i]! *= dn[f]! > 0 ? Math.sqrt(wn[f]! / dn[f]!) : 0;
    }
  });
  return fromFlat<P>(spec, d);
}

/** Evaluate L(params + Σ_k c_k d_k) at each coefficient tuple, in one compiled function. */
function lossAlong<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  params: P,
  batch: B,
  dirs: P[],
  coords: number[][],
): number[] {
  const shifted = jitted((p: P, ds: P[], cs: np.Array[], b: B) => {
    const moved = ds.reduce(
      (acc, d, k) => tree.map((a: np.Array, x: np.Array) => a.add(x.mul(cs[k]!.ref)), acc, d) as P,
      p,
    );
    cs.forEach((c) => c.dispose());
    return loss(moved, b);
  });
  try {
    return coords.map((c, i) => {
      const cs = c.map((x) => np.array(x));
      const out = shifted(tree.ref(params), tree.ref(dirs), cs, tree.ref(batch)).item();
      return assertFinite(out, `in loss slice at point ${i} (${c.join(", ")})`);
    });
  } finally {
    shifted.dispose();
  }
}

export interface SliceOptions extends DirectionOptions {
  range?: [number, number]; // coefficient range along each direction
  steps?: number; // grid points per direction, ends included
}

const grid = ([lo, hi]: [number, number], steps: number) =>
  Array.from({ length: steps }, (_, i) => (steps === 1 ? lo : lo + ((hi - lo) * i) / (steps - 1)));

/**
 * 1-D slice: `losses[i] = L(w + alphas[i] d)`. The direction is `direction` if given (borrowed),
 * else a filter-normalised random one from `seed`. Borrows params and batch.
 */
export function slice1d<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  params: P,
  batch: B,
  { range = [-1, 1], steps = 21, direction, ...dir }: SliceOptions & { direction?: P } = {},
): { alphas: number[]; losses: number[] } {
  expect(Number.isInteger(steps) && steps >= 1, "steps: an integer ≥ 1", steps);
  const d = direction ? tree.ref(direction) : filterNormalizedDirection(params, dir);
  const alphas = grid(range, steps);
  const losses = lossAlong(loss, params, batch, [d], alphas.map((a) => [a]));
  tree.dispose(d);
  return { alphas, losses };
}

/**
 * 2-D slice: `losses[i][j] = L(w + alphas[i] d₁ + betas[j] d₂)`, with two independent random
 * directions (seeds `seed` and `seed + 1`) unless `directions` is given. Borrows its arguments.
 */
export function slice2d<P extends Params, B extends Params>(
  loss: Loss<P, B>,
  params: P,
  batch: B,
  { range = [-1, 1], steps = 21, directions, ...dir }: SliceOptions & { directions?: [P, P] } = {},
): { alphas: number[]; betas: number[]; losses: number[][] } {
  expect(Number.isInteger(steps) && steps >= 1, "steps: an integer ≥ 1", steps);
  const seed = dir.seed ?? 0;
  const ds = directions
    ? directions.map((d) => tree.ref(d))
    : [seed, seed + 1].map((s) => filterNormalizedDirection(params, { ...dir, seed: s }));
  const alphas = grid(range, steps);
  const flat = lossAlong(loss, params, batch, ds, alphas.flatMap((a) => alphas.map((b) => [a, b])));
  tree.dispose(ds);
  return { alphas, betas: alphas, losses: alphas.map((_, i) => flat.slice(i * steps, (i + 1) * steps)) };
}
