// Certified bounds on one ReLU network over an input box (the verification half of claim 5): a
// search that finds no large output proves nothing, a bound does. Two methods of robust ML:
// interval bound propagation (IBP: cheap, loose) and CROWN (Zhang et al. 2018: each bound is a
// linear function of the input, back-substituted through linear relaxations of every unstable
// ReLU, then maximised over the box exactly). Plain Float64 arrays: the networks are small, and
// the arithmetic is then deterministic and independent of the tensor engine. Rounding is not
// directed outward: a bound can sit ~1e-13 relative below the exact one.

/** One dense layer `z = a·W + b`, then ReLU when `relu`. w is row-major [nIn, nOut]. */
export interface DenseLayer { w: Float64Array; b: Float64Array; nIn: number; nOut: number; relu: boolean }
/** A feed-forward network: the last layer's pre-activations are the logits (its `relu` is false). */
export type Net = DenseLayer[];
/** An input region: per dimension [lo, hi]. An L∞ ball is the box centre ± eps. */
export type Box = [number, number][];
/** Elementwise interval bounds. */
export interface Interval { lo: Float64Array; hi: Float64Array }
export type BoundMethod = "ibp" | "crown";

/** A layer from plain arrays (w row-major [nIn, nOut]); checks the sizes. */
export function denseLayer(w: ArrayLike<number>, b: ArrayLike<number>, nIn: number, relu: boolean): DenseLayer {
  const nOut = b.length;
  if (!(nIn >= 1 && nOut >= 1 && w.length === nIn * nOut)) throw new RangeError(`dense layer: w has ${w.length} entries, expected nIn·nOut = ${nIn}·${nOut}`);
  return { w: Float64Array.from(w), b: Float64Array.from(b), nIn, nOut, relu };
}

export function checkNet(net: Net, box?: Box): void {
  if (net.length === 0) throw new RangeError("network: no layers");
  net.forEach((l, j) => {
    if (j > 0 && l.nIn !== net[j - 1]!.nOut) throw new RangeError(`network: layer ${j} reads ${l.nIn} inputs, layer ${j - 1} gives ${net[j - 1]!.nOut}`);
  });
  if (net.at(-1)!.relu) throw new RangeError("network: the last layer gives logits and applies no ReLU");
  if (box) {
    if (box.length !== net[0]!.nIn) throw new RangeError(`region has ${box.length} dims, the network reads ${net[0]!.nIn}`);
    box.forEach(([lo, hi], i) => {
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) throw new RangeError(`region dim ${i}: expected finite lo ≤ hi, got [${lo}, ${hi}]`);
    });
  }
}

/** The L∞ ball of radius eps around `centre`, as a box. */
export function linfBox(centre: ArrayLike<number>, eps: number): Box {
  if (!(eps >= 0 && Number.isFinite(eps))) throw new RangeError(`L∞ radius must be finite and ≥ 0, got ${eps}`);
  return Array.from(centre, (c) => [c - eps, c + eps] as [number, number]);
}

/** Logits of `net` at one input x [nIn], in Float64. */
export function logitsAt(net: Net, x: ArrayLike<number>): Float64Array {
  let a = Float64Array.from(x);
  for (const l of net) {
    const z = Float64Array.from(l.b); // [nOut]
    for (let i = 0; i < l.nIn; i++) {
      const ai = a[i]!;
      if (ai !== 0) for (let o = 0; o < l.nOut; o++) z[o] = z[o]! + ai * l.w[i * l.nOut + o]!;
    }
    if (l.relu) for (let o = 0; o < z.length; o++) z[o] = Math.max(0, z[o]!);
    a = z;
  }
  return a;
}

/** Softmax of logits, stably. */
export function softmax64(z: ArrayLike<number>): Float64Array {
  const m = Math.max(...Array.from(z));
  const e = Float64Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Interval bounds of every layer's pre-activations by IBP (centre ± radius form). */
export function ibpBounds(net: Net, box: Box): Interval[] {
  let lo = Float64Array.from(box, (b) => b[0]), hi = Float64Array.from(box, (b) => b[1]);
  const out: Interval[] = [];
  net.forEach((l, j) => {
    if (j > 0 && net[j - 1]!.relu) [lo, hi] = [lo.map((v) => Math.max(0, v)), hi.map((v) => Math.max(0, v))];
    const zl = Float64Array.from(l.b), zh = Float64Array.from(l.b);
    for (let i = 0; i < l.nIn; i++) {
      const c = (lo[i]! + hi[i]!) / 2, r = (hi[i]! - lo[i]!) / 2;
      for (let o = 0; o < l.nOut; o++) {
        const w = l.w[i * l.nOut + o]!;
        zl[o] = zl[o]! + w * c - Math.abs(w) * r;
        zh[o] = zh[o]! + w * c + Math.abs(w) * r;
      }
    }
    out.push({ lo: zl, hi: zh });
    [lo, hi] = [zl, zh];
  });
  return out;
}

/** A linear upper bound `coef·x + c` over the box, and its maximum there (attained at `corner`). */
export interface LinearBound { value: number; coef: Float64Array; c: number; corner: Float64Array }

/**
 * CROWN upper bounds on the rows of `spec` [m, nOut of layer k] applied to layer k's
 * pre-activations, given pre-activation bounds of the layers below k. Each unstable ReLU (l < 0 < u)
 * is bounded above by the chord u(z − l)/(u − l) and below by 0 or z (whichever leaves the
 * smaller area, as CROWN-Ada); a positive coefficient takes the upper relaxation, a negative one
 * the lower. Lower bounds: call with −spec and negate.
 */
export function crownUpper(net: Net, below: Interval[], k: number, spec: Float64Array, m: number, box: Box): LinearBound[] {
  let n = net[k]!.nOut;
  if (spec.length !== m * n) throw new RangeError(`spec has ${spec.length} entries, expected ${m}·${n}`);
  let A = Float64Array.from(spec); // [m, n]
  const c = new Float64Array(m);
  for (let j = k; j >= 0; j--) {
    const l = net[j]!;
    const next = new Float64Array(m * l.nIn); // [m, nIn]
    for (let r = 0; r < m; r++) {
      let cr = 0;
      for (let o = 0; o < n; o++) cr += A[r * n + o]! * l.b[o]!;
      c[r] = c[r]! + cr;
      for (let i = 0; i < l.nIn; i++) {
        let s = 0;
        const wi = i * l.nOut;
        for (let o = 0; o < n; o++) s += A[r * n + o]! * l.w[wi + o]!;
        next[r * l.nIn + i] = s;
      }
    }
    A = next;
    n = l.nIn;
    if (j > 0 && net[j - 1]!.relu) {
      const { lo, hi } = below[j - 1]!;
      for (let i = 0; i < n; i++) {
        const u = hi[i]!, lw = lo[i]!;
        if (lw >= 0) continue; // active: identity
        if (u <= 0) { for (let r = 0; r < m; r++) A[r * n + i] = 0; continue; } // inactive
        const su = u / (u - lw), sl = u > -lw ? 1 : 0;
        for (let r = 0; r < m; r++) {
          const a = A[r * n + i]!;
          if (a >= 0) { A[r * n + i] = a * su; c[r] = c[r]! - a * su * lw; } else A[r * n + i] = a * sl;
        }
      }
    }
  }
  return Array.from({ length: m }, (_, r) => {
    const coef = A.slice(r * n, (r + 1) * n), corner = new Float64Array(n);
    let v = c[r]!;
    for (let i = 0; i < n; i++) {
      corner[i] = coef[i]! >= 0 ? box[i]![1] : box[i]![0];
      v += coef[i]! * corner[i]!;
    }
    return { value: v, coef, c: c[r]!, corner };
  });
}

const identity = (n: number, sign: number) => {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = sign;
  return e;
};

/**
 * Pre-activation bounds of every layer. "crown" bounds each layer by back-substitution through
 * the layers below (whose bounds it has just computed), intersected with IBP's: never looser than
 * IBP, at the cost of one backward pass per unit.
 */
export function layerBounds(net: Net, box: Box, method: BoundMethod = "crown"): Interval[] {
  checkNet(net, box);
  const ibp0 = ibpBounds(net, box);
  if (method === "ibp") return ibp0;
  const ibp = ibp0.slice(), out: Interval[] = [];
  net.forEach((l, k) => {
    const n = l.nOut;
    const up = crownUpper(net, out, k, identity(n, 1), n, box);
    const dn = crownUpper(net, out, k, identity(n, -1), n, box);
    out.push({ // plain IBP's too: rounding can put the re-propagated IBP a hair above it
      lo: Float64Array.from(dn, (d, i) => Math.max(-d.value, ibp[k]!.lo[i]!, ibp0[k]!.lo[i]!)),
      hi: Float64Array.from(up, (d, i) => Math.min(d.value, ibp[k]!.hi[i]!, ibp0[k]!.hi[i]!)),
    });
    // later layers are bounded from these tighter bounds, so IBP's must follow them
    if (k + 1 < net.length) ibp.splice(k + 1, ibp.length, ...ibpBounds(net.slice(k + 1), reluBox(out[k]!, l.relu)));
  });
  return out;
}

const reluBox = (z: Interval, relu: boolean): Box => Array.from(z.lo, (lo, i) => relu ? [Math.max(0, lo), Math.max(0, z.hi[i]!)] : [lo, z.hi[i]!]);

/**
 * Upper bounds on the logit gaps z_c − z_k (c ≠ k), as a [C, C] matrix (diagonal 0): bounding the
 * gaps directly keeps the input correlation that bounding each logit alone throws away.
 */
export function gapUpper(net: Net, bounds: Interval[], box: Box, method: BoundMethod): Float64Array {
  const L = net.length - 1, C = net[L]!.nOut, { lo, hi } = bounds[L]!;
  const g = new Float64Array(C * C);
  for (let c = 0; c < C; c++) for (let k = 0; k < C; k++) if (c !== k) g[c * C + k] = hi[c]! - lo[k]!;
  if (method === "ibp" || C < 2) return g;
  const pairs: [number, number][] = [];
  for (let c = 0; c < C; c++) for (let k = 0; k < C; k++) if (c !== k) pairs.push([c, k]);
  const spec = new Float64Array(pairs.length * C);
  pairs.forEach(([c, k], r) => { spec[r * C + c] = 1; spec[r * C + k] = -1; });
  crownUpper(net, bounds, L, spec, pairs.length, box).forEach((b, r) => {
    const [c, k] = pairs[r]!;
    g[c * C + k] = Math.min(g[c * C + k]!, b.value);
  });
  return g;
}

/**
 * Sound bounds on softmax probabilities from upper bounds on the logit gaps: p_c =
 * 1 / (1 + Σ_{k≠c} exp(z_k − z_c)) falls as every gap z_k − z_c grows, so each gap at its bound
 * bounds p_c (lower with upper gaps, upper with lower gaps = −gapUpper[c, k]).
 */
export function softmaxBounds(gaps: Float64Array, C: number): Interval {
  const lo = new Float64Array(C), hi = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let sLo = 1, sHi = 1;
    for (let k = 0; k < C; k++) {
      if (k === c) continue;
      sLo += Math.exp(gaps[k * C + c]!); // z_k − z_c ≤ gaps[k, c]
      sHi += Math.exp(-gaps[c * C + k]!); // z_k − z_c ≥ −(z_c − z_k) ≥ −gaps[c, k]
    }
    lo[c] = 1 / sLo;
    hi[c] = Math.min(1, 1 / sHi);
  }
  return { lo, hi };
}

export interface ModelBounds {
  method: BoundMethod;
  logits: Interval; // [C] each
  probs: Interval; // [C] each
  gaps: Float64Array; // [C, C] upper bounds on z_c − z_k
  layers: Interval[]; // pre-activation bounds per layer
  unstable: number; // ReLUs whose sign the region does not fix
}

/** Certified bounds on the logits and output probabilities of `net` over `box`. */
export function certifyModel(net: Net, box: Box, method: BoundMethod = "crown"): ModelBounds {
  const layers = layerBounds(net, box, method);
  const C = net.at(-1)!.nOut, gaps = gapUpper(net, layers, box, method);
  let unstable = 0;
  layers.forEach((b, j) => { if (net[j]!.relu) b.lo.forEach((l, i) => { unstable += +(l < 0 && b.hi[i]! > 0); }); });
  return { method, logits: layers.at(-1)!, probs: softmaxBounds(gaps, C), gaps, layers, unstable };
}
