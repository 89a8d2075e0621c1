// Internal: the checks that guard flat layouts and label vectors. Not re-exported.

/** Throw unless `x` holds exactly the product of `dims`, naming the layout in the message. */
export function expectShape(name: string, x: ArrayLike<number>, dims: Record<string, number>): void {
  let size = 1;
  for (const [k, d] of Object.entries(dims)) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`${name}: ${k} must be a positive integer, got ${d}`);
    size *= d;
  }
  if (x.length !== size) {
    const layout = Object.entries(dims).map(([k, d]) => `[${k}=${d}]`).join("");
    throw new RangeError(`${name}: expected length ${size} for ${layout}, got ${x.length}`);
  }
}

/** Throw unless `labels` are integers in [0, E). Returns E (given, or max label + 1). */
export function expectLabels(labels: ArrayLike<number>, M: number, E?: number): number {
  if (labels.length !== M) throw new RangeError(`labels: expected length ${M}, got ${labels.length}`);
  let max = -1;
  for (let i = 0; i < M; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0) throw new RangeError(`labels[${i}]: expected an integer >= 0, got ${l}`);
    max = Math.max(max, l);
  }
  const e = E ?? max + 1;
  if (max >= e) throw new RangeError(`labels: expected values < E=${e}, got ${max}`);
  return e;
}
