// Flat row-major layouts: the metrics take typed arrays with explicit dims, e.g. `[S][E][N][C]`.

/** A flat row-major tensor. */
export type Flat = Float32Array | Float64Array;

/** Split `x` into `count` equal consecutive views (no copy): `[S][...]` → S views of `[...]`. */
export function slices<T extends Flat>(x: T, count: number): T[] {
  if (!Number.isInteger(count) || count < 1 || x.length % count !== 0)
    throw new RangeError(`slices: expected a length divisible by ${count}, got ${x.length}`);
  const size = x.length / count;
  return Array.from({ length: count }, (_, i) => x.subarray(i * size, (i + 1) * size) as T);
}
