// Gradient conflict between environments: cosine similarity of their loss gradients
// (as in PCGrad, Yu et al. 2020). Negative = the environments pull the shared weights apart.

/** cos(g1, g2) = g1·g2 / (‖g1‖ ‖g2‖), in [-1, 1]; NaN if either gradient is zero. */
export function gradientCosine(g1: ArrayLike<number>, g2: ArrayLike<number>): number {
  if (g1.length !== g2.length) throw new RangeError(`gradientCosine: expected equal lengths, got ${g1.length} and ${g2.length}`);
  return segmentedCosine([g1], [g2]);
}

/**
 * gradientCosine of two gradients each given as segments (e.g. a seed's slice of every parameter
 * leaf), the same number as on their concatenations: the sums run over the segments in order, so
 * they add the same terms in the same order, without building the concatenated vectors.
 */
export function segmentedCosine(g1: readonly ArrayLike<number>[], g2: readonly ArrayLike<number>[]): number {
  if (g1.length !== g2.length || g1.some((p, i) => p.length !== g2[i]!.length)) throw new RangeError("segmentedCosine: expected segments of equal lengths");
  const acc: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < g1.length; i++) addSums(g1[i]!, g2[i]!, acc);
  const [dot, n1, n2] = acc;
  if (n1 === 0 || n2 === 0) return NaN;
  return Math.min(1, Math.max(-1, dot / Math.sqrt(n1 * n2)));
}

// The loop in a function of its own: V8 left the optimised code of a function whose check after
// the loop had never run yet, at every call (a bail-out per checkpoint)
function addSums(g1: ArrayLike<number>, g2: ArrayLike<number>, acc: [number, number, number]): void {
  let [dot, n1, n2] = acc;
  for (let i = 0; i < g1.length; i++) {
    const a = g1[i]!, b = g2[i]!;
    dot += a * b;
    n1 += a * a;
    n2 += b * b;
  }
  [acc[0], acc[1], acc[2]] = [dot, n1, n2];
}

/** E×E matrix of pairwise gradient cosines, symmetric, diagonal 1 (NaN for a zero gradient). */
export function conflictMatrix(grads: readonly ArrayLike<number>[]): number[][] {
  const E = grads.length;
  const m = Array.from({ length: E }, () => new Array<number>(E).fill(0));
  for (let a = 0; a < E; a++) {
    for (let b = a; b < E; b++) {
      const c = gradientCosine(grads[a]!, grads[b]!);
      m[a]![b] = m[b]![a] = a === b && !Number.isNaN(c) ? 1 : c;
    }
  }
  return m;
}

/** Mean off-diagonal cosine over the E(E-1)/2 env pairs: one number for "how much envs conflict". */
export function meanPairwiseCosine(grads: readonly ArrayLike<number>[]): number {
  return meanOfPairs(grads.length, (a, b) => gradientCosine(grads[a]!, grads[b]!));
}

/** meanPairwiseCosine of gradients given as segments (see segmentedCosine): the same number. */
export function meanPairwiseSegmentedCosine(grads: readonly (readonly ArrayLike<number>[])[]): number {
  return meanOfPairs(grads.length, (a, b) => segmentedCosine(grads[a]!, grads[b]!));
}

function meanOfPairs(E: number, cos: (a: number, b: number) => number): number {
  let s = 0, k = 0; // the pairs a < b in conflictMatrix's order, without its diagonal
  for (let a = 0; a < E; a++)
    for (let b = a + 1; b < E; b++, k++) s += cos(a, b);
  return k ? s / k : NaN;
}
