// Gradient conflict between environments: cosine similarity of their loss gradients
// (as in PCGrad, Yu et al. 2020). Negative = the environments pull the shared weights apart.

/** cos(g1, g2) = g1·g2 / (‖g1‖ ‖g2‖), in [-1, 1]; NaN if either gradient is zero. */
export function gradientCosine(g1: ArrayLike<number>, g2: ArrayLike<number>): number {
  if (g1.length !== g2.length) throw new RangeError(`gradientCosine: expected equal lengths, got ${g1.length} and ${g2.length}`);
  const [dot, n1, n2] = sums(g1, g2);
  if (n1 === 0 || n2 === 0) return NaN;
  return Math.min(1, Math.max(-1, dot / Math.sqrt(n1 * n2)));
}

// The loop in a function of its own: V8 left the optimised code of a function whose check after
// the loop had never run yet, at every call (a bail-out per checkpoint)
function sums(g1: ArrayLike<number>, g2: ArrayLike<number>): [number, number, number] {
  let dot = 0, n1 = 0, n2 = 0;
  for (let i = 0; i < g1.length; i++) {
    const a = g1[i]!, b = g2[i]!;
    dot += a * b;
    n1 += a * a;
    n2 += b * b;
  }
  return [dot, n1, n2];
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
  let s = 0, k = 0; // the pairs a < b in conflictMatrix's order, without its diagonal
  for (let a = 0; a < grads.length; a++)
    for (let b = a + 1; b < grads.length; b++, k++) s += gradientCosine(grads[a]!, grads[b]!);
  return k ? s / k : NaN;
}
