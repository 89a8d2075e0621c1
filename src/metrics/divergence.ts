// Divergences between discrete distributions. Inputs are assumed normalised (softmax outputs);
// entries <= 0 contribute nothing, as 0 log 0 = 0.

const LN2 = Math.LN2;

/** Shannon entropy in bits: H(p) = -Σ p_i log2 p_i. */
export function entropy(p: ArrayLike<number>): number {
  return entropyAt(p, 0, p.length);
}

/** `entropy` of the C entries of `x` from `offset` (a cell of a flat `[..][C]` array, without a view). */
export function entropyAt(x: ArrayLike<number>, offset: number, C: number): number {
  let h = 0;
  for (let i = offset; i < offset + C; i++) {
    const pi = x[i]!;
    if (pi > 0) h -= pi * Math.log(pi);
  }
  return h / LN2;
}

/** KL(p‖q) = Σ p_i ln(p_i / max(q_i, eps)), in nats; `eps` keeps it finite where q has zeros. */
export function kl(p: ArrayLike<number>, q: ArrayLike<number>, eps = 1e-12): number {
  if (p.length !== q.length) throw new RangeError(`kl: expected equal lengths, got ${p.length} and ${q.length}`);
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi > 0) d += pi * Math.log(pi / Math.max(q[i]!, eps));
  }
  return Math.max(0, d);
}

/**
 * Jensen–Shannon divergence in bits, in [0, 1]: ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2 (Lin 1991).
 * No epsilon needed: m_i >= p_i/2 wherever p_i > 0.
 */
export function js(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError(`js: expected equal lengths, got ${p.length} and ${q.length}`);
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    const qi = q[i]!;
    const m = 0.5 * (pi + qi);
    if (pi > 0) d += pi * Math.log(pi / m);
    if (qi > 0) d += qi * Math.log(qi / m);
  }
  return Math.min(1, Math.max(0, (0.5 * d) / LN2));
}

/**
 * Generalised JS of K distributions with uniform weights, in bits, in [0, log2 K]:
 * H(mean_k p_k) - mean_k H(p_k) = I(k; y), the information the index k carries about the output.
 * `entropies`, if given, must be each distribution's `entropy` (a caller reusing them across calls).
 */
export function jsMany(dists: readonly ArrayLike<number>[], entropies?: readonly number[]): number {
  const K = dists.length;
  if (K === 0) throw new RangeError("jsMany: expected at least one distribution, got 0");
  if (entropies && entropies.length !== K) throw new RangeError(`jsMany: expected ${K} entropies, got ${entropies.length}`);
  const C = dists[0]!.length;
  const mix = new Float64Array(C);
  let meanH = 0;
  for (let k = 0; k < K; k++) {
    const p = dists[k]!;
    if (p.length !== C) throw new RangeError(`jsMany: expected length ${C}, got ${p.length}`);
    for (let i = 0; i < C; i++) mix[i]! += p[i]! / K;
    meanH += (entropies ? entropies[k]! : entropy(p)) / K; // a caller's entropy(p): the same number, computed once
  }
  return jsOfMixture(mix, 0, C, meanH);
}

/**
 * `jsMany` from its parts, for callers that form the mixture themselves (flat arrays, no views):
 * `mix` at `offset` holds Σ_k p_k / K (added in k order) and `meanH` Σ_k H(p_k) / K.
 */
export function jsOfMixture(mix: ArrayLike<number>, offset: number, C: number, meanH: number): number {
  return Math.max(0, entropyAt(mix, offset, C) - meanH);
}

/** Mean JS (bits) over the rows of two flat `[..][C]` arrays, e.g. `[N][C]` probe outputs. */
export function meanJs(p: ArrayLike<number>, q: ArrayLike<number>, C: number): number {
  if (p.length !== q.length || p.length % C !== 0)
    throw new RangeError(`meanJs: expected equal lengths divisible by C=${C}, got ${p.length} and ${q.length}`);
  const rows = p.length / C;
  let s = 0;
  for (let r = 0; r < rows; r++) s += js(row(p, r, C), row(q, r, C));
  return s / rows;
}

function row(x: ArrayLike<number>, r: number, C: number): ArrayLike<number> {
  if (x instanceof Float32Array || x instanceof Float64Array) return x.subarray(r * C, (r + 1) * C);
  return Array.prototype.slice.call(x, r * C, (r + 1) * C) as number[];
}
