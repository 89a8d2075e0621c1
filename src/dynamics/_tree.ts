// Internal plumbing shared by the dynamics measurements: the loss type, moving a parameter
// pytree to and from one flat Float32Array (the JS side does vector algebra in float64 on
// these), and the random streams. Never exported from the barrel.
import { grad, jit, jvp, numpy as np, tree, valueAndGrad, type JsTree, type JsTreeDef } from "@jax-js/jax";
import { EcotoneError } from "../util/errors.ts";
import { mean as meanOf, sd } from "../util/stats.ts";

/** A pytree of float32 arrays: the parameters of a user model, or a direction in their space. */
export type Params = JsTree<np.Array>;

/**
 * A scalar loss `L(params, batch)`, written in jax-js. Like every jax-js function it takes
 * ownership of both arguments (use `.ref` inside for arrays you read twice).
 */
export type Loss<P extends Params, B extends Params> = (params: P, batch: B) => np.Array;

// jax-js's transform signatures do not resolve over a generic pytree type parameter; these
// wrappers pin the types down once so the measurement code stays cast-free.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Fn = (...args: any[]) => any;
export const jitted = <F extends Fn>(f: F) => jit(f) as unknown as F & { dispose(): void };
export const gradOf = <P, B>(loss: (p: P, b: B) => np.Array) => grad(loss) as unknown as (p: P, b: B) => P;
export const valueAndGradOf = <P, B>(loss: (p: P, b: B) => np.Array) =>
  valueAndGrad(loss) as unknown as (p: P, b: B) => [np.Array, P];
export const jvpOf = <P, T>(f: (p: P) => T, primal: P, tangent: P) =>
  jvp(f as Fn, [primal] as never, [tangent] as never) as unknown as [T, T];

/** Random streams of this module, so adding a consumer never shifts another's numbers. */
export const STREAM = { power: 101, probe: 102, slice: 103, noise: 104, sgld: 105, search: 106 } as const;

/** Where each leaf of a pytree lives inside its flat vector. */
export interface FlatSpec {
  treedef: JsTreeDef;
  shapes: number[][];
  offsets: number[]; // offsets[i] = first flat index of leaf i; offsets[leaves] = size
  size: number;
}

/** Layout of a pytree (borrows it). */
export function flatSpec(t: Params): FlatSpec {
  const [leaves, treedef] = tree.flatten(t);
  const offsets = [0];
  let size = 0;
  for (const leaf of leaves) offsets.push((size += leaf.size));
  return { treedef, shapes: leaves.map((l) => l.shape), offsets, size };
}

/** Read a pytree into one flat vector, in `tree.leaves` order (consumes it). */
export function toFlat(t: Params): Float32Array {
  const leaves = tree.leaves(t);
  const out = new Float32Array(leaves.reduce((s, l) => s + l.size, 0));
  let off = 0;
  for (const leaf of leaves) {
    const data = leaf.dataSync();
    out.set(data, off);
    off += data.length;
  }
  return out;
}

/** Build a fresh pytree of arrays with the layout `spec` from a flat vector. */
export function fromFlat<P extends Params>(spec: FlatSpec, flat: Float32Array): P {
  const leaves = spec.shapes.map((shape, i) =>
    np.array(flat.slice(spec.offsets[i], spec.offsets[i + 1]), { shape }),
  );
  return tree.unflatten(spec.treedef, leaves) as P;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export const norm = (a: Float32Array): number => Math.sqrt(dot(a, a));

/** Mean and sample standard deviation (n − 1), in float64. */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  const mean = meanOf(xs);
  return { mean, std: xs.length > 1 ? sd(xs, mean) : 0 };
}

/** Throw a numerical failure that says where it happened. */
export function assertFinite(x: number, where: string): number {
  if (!Number.isFinite(x)) throw new EcotoneError("E_DIVERGED", `non-finite value ${x} ${where}`);
  return x;
}

/** Invalid input: say what was expected and what was given. */
export function expect(ok: boolean, what: string, got: unknown): void {
  if (!ok) throw new RangeError(`expected ${what}, got ${JSON.stringify(got)}`);
}

/** An evaluation's output as named metrics: a bare array is the loss. Inside jit `out` is a tracer, not an np.Array, so a record is told by its plain prototype. */
export function asRecord(out: np.Array | Record<string, np.Array>): Record<string, np.Array> {
  return Object.getPrototypeOf(out) === Object.prototype ? (out as Record<string, np.Array>) : { loss: out as np.Array };
}

/** Mean and std over draws of each metric at each point of a curve: samples[name][point][draw]. */
export function curveStats(samples: Record<string, Float64Array[]>): Record<string, { mean: number[]; std: number[] }> {
  const metrics: Record<string, { mean: number[]; std: number[] }> = {};
  for (const [name, rows] of Object.entries(samples)) {
    const stats = rows.map((r) => meanStd(r));
    metrics[name] = { mean: stats.map((x) => x.mean), std: stats.map((x) => x.std) };
  }
  return metrics;
}
