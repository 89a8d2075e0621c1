// Certified bounds on how far two networks can disagree over an input box, tightened by
// branch-and-bound. Every measure is bounded through R[c, k] ≥ sup_x (δ_c − δ_k), δ = z¹ − z²
// the logit difference: the log-ratio r_c = log p¹_c/p²_c equals δ_c − (lse z¹ − lse z²) and
// lse z¹ − lse z² ≥ min_k δ_k, so r_c ≤ max_k R[c, k]. R is the least of several sound bounds:
//  - composed CROWN: one backward pass through both networks at once, with the input shared, so
//    linear dependence on x cancels between them (wins for unrelated networks, e.g. two seeds);
//  - differential (ReluDiff, Paulsen et al. 2020): the hidden differences δz_j = z¹_j − z²_j, as
//    δz_j = δa_{j−1}·W¹_j + a²_{j−1}·(W¹_j − W²_j) + (b¹_j − b²_j), the second term bounded by CROWN
//    through network 2 (and symmetrically), the first as an interval or back-substituted through
//    the layers below: exact zero for identical networks and tight for nearby ones (checkpoints,
//    small perturbations of one training). Needs the same layer sizes.
import { type BoundMethod, type Box, type DenseLayer, type Interval, type Net, checkNet, crownUpper, gapUpper, layerBounds, logitsAt, softmax64, softmaxBounds } from "./certify.ts";

/** kl: KL(p¹ ‖ p²); tv: total variation ½Σ|p¹ − p²|; logit: max_{c,k} |Δ(z_c − z_k)|, the largest change of a log-odds. */
export type DiffMeasure = "kl" | "tv" | "logit";
export const DIFF_MEASURES: readonly DiffMeasure[] = ["kl", "tv", "logit"];

/** The measures at one input, in Float64. */
export function disagreementAt(n1: Net, n2: Net, x: ArrayLike<number>): Record<DiffMeasure, number> {
  const z1 = logitsAt(n1, x), z2 = logitsAt(n2, x), p1 = softmax64(z1), p2 = softmax64(z2);
  let kl = 0, tv = 0, dMax = -Infinity, dMin = Infinity;
  for (let c = 0; c < z1.length; c++) {
    if (p1[c]! > 0) kl += p1[c]! * (Math.log(p1[c]!) - Math.log(p2[c]!));
    tv += Math.abs(p1[c]! - p2[c]!) / 2;
    const d = z1[c]! - z2[c]!;
    [dMax, dMin] = [Math.max(dMax, d), Math.min(dMin, d)];
  }
  return { kl: Math.max(0, kl), tv, logit: dMax - dMin };
}

/** Bounds of one node (sub-box): R[c, k] ≥ sup (δ_c − δ_k), and each network's probability bounds. */
export interface DiffBounds {
  R: Float64Array; // [C, C], diagonal 0
  p1: Interval;
  p2: Interval;
  /** input coefficients of the winning linear bound on the worst pair (where one is linear), and the corner maximising it */
  coef: Float64Array;
  corner: Float64Array;
  method: { composed: number; differential: number }; // pairs (c, k) where each gave the tighter bound (composed counts the per-network gaps too)
}

const sameShape = (n1: Net, n2: Net) => n1.length === n2.length && n1.every((l, j) => l.nIn === n2[j]!.nIn && l.nOut === n2[j]!.nOut && l.relu === n2[j]!.relu);

/** The network `net[0..j)` topped with a virtual linear layer (w, b): to bound a·w + b by CROWN. */
const topped = (net: Net, j: number, w: Float64Array, b: Float64Array): Net =>
  [...net.slice(0, j), { w, b, nIn: net[j]!.nIn, nOut: b.length, relu: false } satisfies DenseLayer];

const sub = (a: Float64Array, b: Float64Array) => a.map((v, i) => v - b[i]!);

/**
 * Upper bounds on `spec`·δz_j, spec [m, n_j], by the differential decomposition through network
 * `base` (the other network's weights multiply the interval δa): m rows.
 */
function differentialUpper(mult: Net, base: Net, baseBounds: Interval[], da: Interval | null, j: number, spec: Float64Array, m: number, box: Box, sign: number): Float64Array {
  const l = mult[j]!, n = l.nOut;
  const dw = sub(mult[j]!.w, base[j]!.w), db = sub(mult[j]!.b, base[j]!.b);
  if (sign < 0) { dw.forEach((v, i) => { dw[i] = -v; }); db.forEach((v, i) => { db[i] = -v; }); }
  // δz_j = sign·(a^{mult} − a^{base})·W^{mult} + ... rewritten so that a^{base} carries ΔW: with sign = +1,
  // z¹ − z² = δa·W¹ + a²·(W¹ − W²) + (b¹ − b²) (mult = 1, base = 2); with sign = −1 the roles swap.
  const out = crownUpper(topped(base, j, dw, db), baseBounds, j, spec, m, box).map((b) => b.value);
  if (!da) return Float64Array.from(out); // j = 0: δz_0 is linear in x, CROWN is exact
  for (let r = 0; r < m; r++) {
    let s = 0;
    for (let i = 0; i < l.nIn; i++) {
      let g = 0; // (W^{mult} spec_r)_i
      for (let o = 0; o < n; o++) g += l.w[i * n + o]! * spec[r * n + o]!;
      s += Math.max(g * da.lo[i]!, g * da.hi[i]!);
    }
    out[r] = out[r]! + s;
  }
  return Float64Array.from(out);
}

/**
 * Upper bounds on `spec`·δz_k, spec [m, n_k], by back-substituting the same decomposition through
 * every layer: at layer j the ΔW term is a CROWN linear function of x (through `base`) and the δa
 * term is rewritten in δz_{j−1}, through a linear relaxation of δa = relu(z¹) − relu(z²) in δz
 * (δa lies between min(0, δz) and max(0, δz), bounded by their chords over [δl, δh]; exact where
 * both units are active, 0 where both are off; the interval where that is tighter). The linear
 * parts of all layers are summed before maximising over the box, so their x-dependence can cancel.
 */
function symbolicUpper(mult: Net, base: Net, baseBounds: Interval[], b1: Interval[], b2: Interval[], dzs: Interval[], das: Interval[], k: number, spec: Float64Array, m: number, box: Box, sign: number): { value: Float64Array; coef: Float64Array } {
  const D = box.length, coef = new Float64Array(m * D), c = new Float64Array(m);
  let G = Float64Array.from(spec), n = mult[k]!.nOut; // [m, n]: coefficients on δz_j
  for (let j = k; j >= 0; j--) {
    const l = mult[j]!;
    const dw = sub(l.w, base[j]!.w).map((v) => sign * v), db = sub(l.b, base[j]!.b).map((v) => sign * v); // W¹ − W², b¹ − b²
    crownUpper(topped(base, j, dw, db), baseBounds, j, G, m, box).forEach((t, r) => {
      c[r] = c[r]! + t.c;
      for (let i = 0; i < D; i++) coef[r * D + i] = coef[r * D + i]! + t.coef[i]!;
    });
    if (j === 0) break; // δa_{−1} = x − x = 0
    const nIn = l.nIn, H = new Float64Array(m * nIn); // [m, nIn]: coefficients on δa_{j−1}
    for (let r = 0; r < m; r++) for (let i = 0; i < nIn; i++) {
      let s = 0;
      for (let o = 0; o < n; o++) s += G[r * n + o]! * l.w[i * n + o]!;
      H[r * nIn + i] = s;
    }
    if (mult[j - 1]!.relu) {
      const z1 = b1[j - 1]!, z2 = b2[j - 1]!, dz = dzs[j - 1]!, da = das[j - 1]!;
      for (let i = 0; i < nIn; i++) {
        if (z1.lo[i]! >= 0 && z2.lo[i]! >= 0) continue; // δa = δz
        const dl = dz.lo[i]!, dh = dz.hi[i]!;
        const off = z1.hi[i]! <= 0 && z2.hi[i]! <= 0;
        const interval = !off && (da.lo[i]! > Math.min(0, dl) || da.hi[i]! < Math.max(0, dh));
        let [su, cu, sl, cl] = [0, 0, 0, 0]; // δa ≤ su·δz + cu, δa ≥ sl·δz + cl
        if (off) [su, sl] = [0, 0];
        else if (dl >= 0) [su, sl] = [1, 0];
        else if (dh <= 0) [su, sl] = [0, 1];
        else {
          su = dh / (dh - dl); cu = -su * dl; // chord of max(0, δz)
          sl = -dl / (dh - dl); cl = dl - sl * dl; // chord of min(0, δz)
        }
        for (let r = 0; r < m; r++) {
          const h = H[r * nIn + i]!;
          if (interval) { c[r] = c[r]! + Math.max(h * da.lo[i]!, h * da.hi[i]!); H[r * nIn + i] = 0; }
          else if (h >= 0) { H[r * nIn + i] = h * su; c[r] = c[r]! + h * cu; }
          else { H[r * nIn + i] = h * sl; c[r] = c[r]! + h * cl; }
        }
      }
    }
    [G, n] = [H, nIn];
  }
  const value = Float64Array.from({ length: m }, (_, r) => {
    let v = c[r]!;
    for (let i = 0; i < D; i++) { const a = coef[r * D + i]!; v += a * (a >= 0 ? box[i]![1] : box[i]![0]); }
    return v;
  });
  return { value, coef }; // coef [m, D]
}

/** Interval of relu(z¹) − relu(z²) from bounds on z¹, z² and on δz = z¹ − z². */
function reluDiff(b1: Interval, b2: Interval, dz: Interval): Interval {
  const n = dz.lo.length, lo = new Float64Array(n), hi = new Float64Array(n);
  const r = (v: number) => Math.max(0, v);
  for (let i = 0; i < n; i++) {
    const [l1, u1, l2, u2, dl, dh] = [b1.lo[i]!, b1.hi[i]!, b2.lo[i]!, b2.hi[i]!, dz.lo[i]!, dz.hi[i]!];
    if (l1 >= 0 && l2 >= 0) [lo[i], hi[i]] = [dl, dh]; // both active: δa = δz
    else if (u1 <= 0 && u2 <= 0) [lo[i], hi[i]] = [0, 0];
    else {
      // relu is monotone and 1-Lipschitz: δa lies between 0 and δz
      lo[i] = Math.max(Math.min(0, dl), r(l1) - r(u2));
      hi[i] = Math.min(Math.max(0, dh), r(u1) - r(l2));
    }
  }
  return { lo, hi };
}

/** Node bounds on one sub-box. `method` "ibp" gives IBP alone (each network's interval gaps), for comparison. */
export function diffBounds(n1: Net, n2: Net, box: Box, method: BoundMethod = "crown", differential = true): DiffBounds {
  const L = n1.length - 1, C = n1[L]!.nOut;
  const b1 = layerBounds(n1, box, method), b2 = layerBounds(n2, box, method);
  const g1 = gapUpper(n1, b1, box, method), g2 = gapUpper(n2, b2, box, method);
  const pairs: [number, number][] = [];
  for (let c = 0; c < C; c++) for (let k = 0; k < C; k++) if (c !== k) pairs.push([c, k]);
  const m = pairs.length, spec = new Float64Array(m * C);
  pairs.forEach(([c, k], r) => { spec[r * C + c] = 1; spec[r * C + k] = -1; });
  const R = new Float64Array(C * C);
  // always sound: z¹_c − z¹_k ≤ g1[c, k] and z²_k − z²_c ≤ g2[k, c]
  pairs.forEach(([c, k]) => { R[c * C + k] = g1[c * C + k]! + g2[k * C + c]!; });
  const used = { composed: 0, differential: 0 };
  let worst = 0, coef = new Float64Array(box.length), corner = Float64Array.from(box, (b) => (b[0] + b[1]) / 2);
  if (method === "ibp") return { R, p1: softmaxBounds(g1, C), p2: softmaxBounds(g2, C), coef, corner, method: used }; // IBP alone, for scale
  // composed CROWN: back-substitute spec through both networks, add the input coefficients, maximise once
  const u1 = crownUpper(n1, b1, L, spec, m, box);
  const u2 = crownUpper(n2, b2, n2.length - 1, spec.map((v) => -v), m, box); // n2 may be deeper or shallower
  pairs.forEach(([c, k], r) => {
    const a = u1[r]!.coef.map((v, i) => v + u2[r]!.coef[i]!);
    let v = u1[r]!.c + u2[r]!.c;
    const at = new Float64Array(box.length);
    a.forEach((ai, i) => { at[i] = ai >= 0 ? box[i]![1] : box[i]![0]; v += ai * at[i]!; });
    if (v < R[c * C + k]!) R[c * C + k] = v;
    if (v > worst || r === 0) [worst, coef, corner] = [v, a, at];
  });
  if (differential && sameShape(n1, n2)) {
    let da: Interval | null = null;
    const dzs: Interval[] = [], das: Interval[] = [];
    // the four differential bounds of spec·δz_j: interval and symbolic, each through either network
    let symbolic: Float64Array[] = []; // input coefficients of the symbolic bounds, [rows, D] each
    const bounds = (j: number, sp: Float64Array, rows: number): Float64Array[] => {
      const sa = symbolicUpper(n1, n2, b2, b1, b2, dzs, das, j, sp, rows, box, 1), sb = symbolicUpper(n2, n1, b1, b1, b2, dzs, das, j, sp, rows, box, -1);
      symbolic = [sa.coef, sb.coef];
      return [sa.value, sb.value, differentialUpper(n1, n2, b2, da, j, sp, rows, box, 1), differentialUpper(n2, n1, b1, da, j, sp, rows, box, -1)];
    };
    const least = (vs: Float64Array[], i: number) => Math.min(...vs.map((v) => v[i]!));
    for (let j = 0; j <= L; j++) {
      const n = n1[j]!.nOut;
      if (j < L) {
        const I = new Float64Array(n * n), nI = new Float64Array(n * n);
        for (let i = 0; i < n; i++) [I[i * n + i], nI[i * n + i]] = [1, -1];
        const hi = bounds(j, I, n), lo = bounds(j, nI, n);
        const dz: Interval = {
          lo: Float64Array.from({ length: n }, (_, i) => Math.max(-least(lo, i), b1[j]!.lo[i]! - b2[j]!.hi[i]!)),
          hi: Float64Array.from({ length: n }, (_, i) => Math.min(least(hi, i), b1[j]!.hi[i]! - b2[j]!.lo[i]!)),
        };
        da = n1[j]!.relu ? reluDiff(b1[j]!, b2[j]!, dz) : dz;
        dzs.push(dz);
        das.push(da);
      } else {
        const all = bounds(L, spec, m);
        pairs.forEach(([c, k], r) => {
          const v = least(all, r);
          if (v < R[c * C + k]!) { R[c * C + k] = v; used.differential++; } else used.composed++;
        });
        // split along what drives the worst pair's bound: the symbolic bound's coefficients where it won
        const D = box.length;
        let top = 0;
        pairs.forEach(([c, k], r) => { if (R[c * C + k]! > R[pairs[top]![0] * C + pairs[top]![1]]!) top = r; });
        const w = [0, 1].find((s) => all[s]![top] === R[pairs[top]![0] * C + pairs[top]![1]]);
        if (w !== undefined) {
          coef = symbolic[w]!.slice(top * D, (top + 1) * D);
          corner = Float64Array.from(coef, (a, i) => (a >= 0 ? box[i]![1] : box[i]![0]));
        }
      }
    }
  } else used.composed = m;
  return { R, p1: softmaxBounds(g1, C), p2: softmaxBounds(g2, C), coef, corner, method: used };
}

/** max Σ_c p_c v_c over probability vectors with lo ≤ p ≤ hi: greedy fill of the largest v first (a fractional knapsack). */
export function simplexMax(v: ArrayLike<number>, box: Interval): number {
  const C = v.length, order = Array.from({ length: C }, (_, c) => c).sort((a, b) => v[b]! - v[a]! || a - b);
  let left = 1, s = 0;
  for (let c = 0; c < C; c++) { left -= box.lo[c]!; if (box.lo[c]! > 0) s += box.lo[c]! * v[c]!; } // 0·∞ counts 0: p_c = 0 there
  for (const c of order) {
    if (left <= 0) break;
    const add = Math.min(left, box.hi[c]! - box.lo[c]!);
    if (add > 0) s += add * v[c]!;
    left -= add;
  }
  return s;
}

/** The certified upper bound on `measure` over the node (the trivial bound where overflow leaves none). */
export function measureBound(d: DiffBounds, measure: DiffMeasure): number {
  const v = rawBound(d, measure);
  return Number.isNaN(v) ? (measure === "tv" ? 1 : Infinity) : v;
}

function rawBound(d: DiffBounds, measure: DiffMeasure): number {
  // k = c belongs to the max (min_k δ_k ≤ δ_c): so the row maxima are ≥ 0
  const C = d.p1.lo.length, rowMax = (c: number, transpose: boolean) => {
    let m = 0;
    for (let k = 0; k < C; k++) if (k !== c) m = Math.max(m, transpose ? d.R[k * C + c]! : d.R[c * C + k]!);
    return m;
  };
  // s(x) = max_{c,k} δ_c − δ_k ≤ max R is the range of r(x) = log p¹/p², and E_{p¹}[e^{−r}] = 1, so
  // Hoeffding's lemma gives KL(p¹ ‖ p²) = E_{p¹}[r] ≤ s²/8 and Pinsker TV ≤ √(KL/2) ≤ s/4: second
  // order in s, what keeps the bound tight for nearly equal networks
  const s = Math.max(0, ...Array.from(d.R));
  if (measure === "logit") return s;
  // r_c = log Σ_k p¹_k exp(δ_c − δ_k) ≤ log max_{p ∈ box¹} Σ_k p_k exp(R[c, k]) (exact at a point,
  // so B&B converges), ≤ max_k R[c, k], and ≤ log hi¹_c − log lo²_c; −r_c likewise with p², Rᵀ
  const expRow = (c: number, transpose: boolean) => Array.from({ length: C }, (_, k) => (k === c ? 1 : Math.exp(transpose ? d.R[k * C + c]! : d.R[c * C + k]!)));
  const r1 = Array.from({ length: C }, (_, c) => Math.min(rowMax(c, false), Math.log(simplexMax(expRow(c, false), d.p1)), Math.log(d.p1.hi[c]!) - Math.log(d.p2.lo[c]!)));
  if (measure === "kl") return Math.max(0, Math.min(simplexMax(r1, d.p1), (s * s) / 8)); // KL = Σ p¹_c r_c
  // TV = Σ_c p¹_c (1 − e^{−r_c})⁺ = Σ_c p²_c (1 − e^{r_c})⁺, and Σ_c (p¹_c − p²_c)⁺ ≤ Σ_c (hi¹_c − lo²_c)⁺
  const r2 = Array.from({ length: C }, (_, c) => Math.min(rowMax(c, true), Math.log(simplexMax(expRow(c, true), d.p2)), Math.log(d.p2.hi[c]!) - Math.log(d.p1.lo[c]!)));
  const s1 = simplexMax(r1.map((r) => Math.max(0, 1 - Math.exp(-r))), d.p1);
  const s2 = simplexMax(r2.map((r) => Math.max(0, 1 - Math.exp(-r))), d.p2);
  let s3 = 0, s4 = 0;
  for (let c = 0; c < C; c++) { s3 += Math.max(0, d.p1.hi[c]! - d.p2.lo[c]!); s4 += Math.max(0, d.p2.hi[c]! - d.p1.lo[c]!); }
  return Math.min(1, Math.max(0, Math.min(s1, s2, s3, s4, s / 4)));
}

export interface CertifyOptions {
  measure?: DiffMeasure;
  nodes?: number; // node budget: sub-boxes bounded (deterministic); default `defaultNodes`, unbounded with `seconds`
  seconds?: number; // time budget (stops at whichever budget runs out first)
  tolerance?: number; // stop once certified − found ≤ tolerance
  start?: { x: ArrayLike<number>; value?: number }; // a point found by a search, counted as found
  method?: BoundMethod; // per-network bounds: crown (default) or ibp, for comparison
}

export const certifyDefaults = { measure: "kl" as DiffMeasure, nodes: 2000, seconds: Infinity, tolerance: 1e-6 };

/** Work of bounding one network on one sub-box, in multiply-adds: one CROWN pass per unit of every layer. */
export function boundCost(net: Net): number {
  let total = 0, below = 0;
  for (const l of net) { below += l.nIn * l.nOut; total += l.nOut * below; }
  return total;
}

/**
 * The default node budget: 2000 sub-boxes for networks up to the size of `examples/stability.yaml`'s
 * (about 2·10⁵ multiply-adds a bound), proportionally fewer for larger ones (at least 50), so that
 * the default takes tens of seconds rather than hours, and stays deterministic.
 */
export function defaultNodes(n1: Net, n2: Net): number {
  const cost = Math.max(boundCost(n1), boundCost(n2));
  return Math.max(50, Math.min(certifyDefaults.nodes, Math.round((certifyDefaults.nodes * 2e5) / cost)));
}

export interface CertifiedDisagreement {
  measure: DiffMeasure;
  found: number; // largest value at any input evaluated (search start, centres and bound-maximising corners)
  foundAt: number[];
  bound: number; // certified: no input in the box exceeds it
  gap: number; // bound − found
  root: number; // the bound on the whole box, before any split
  nodes: number; // sub-boxes bounded
  open: number; // sub-boxes left open when the budget ran out
  exhausted: boolean; // every sub-box closed: the bound equals found (up to tolerance)
  history: { nodes: number; bound: number; found: number }[]; // after the root and each doubling of nodes
  seconds: number;
  method: { composed: number; differential: number }; // (c, k) pairs where each bound won, summed over nodes
}

type Node = { box: Box; ub: number; split: number };

/**
 * Certified upper bound on the largest disagreement of two networks over `box`: best-first
 * branch-and-bound. A node's bound is that of `diffBounds`, capped by its parent's; the open node
 * with the largest bound is split in half along the input dimension that contributes most to it
 * (|coefficient| × width in the winning linear bound on the worst pair; widest when all are 0).
 * A node whose bound is within tolerance of the best found value is closed. The certified bound
 * is max(found, largest open bound): with a node budget it never grows as the budget grows.
 */
export function certifyDisagreement(n1: Net, n2: Net, box: Box, o: CertifyOptions = {}): CertifiedDisagreement {
  checkNet(n1, box);
  checkNet(n2, box);
  if (n1.at(-1)!.nOut !== n2.at(-1)!.nOut) throw new RangeError(`the networks give ${n1.at(-1)!.nOut} and ${n2.at(-1)!.nOut} classes`);
  const measure = o.measure ?? certifyDefaults.measure, maxNodes = o.nodes ?? (o.seconds ? Number.MAX_SAFE_INTEGER : defaultNodes(n1, n2));
  const seconds = o.seconds ?? certifyDefaults.seconds, tol = o.tolerance ?? certifyDefaults.tolerance;
  if (!DIFF_MEASURES.includes(measure)) throw new RangeError(`measure must be one of ${DIFF_MEASURES.join(", ")}, got ${measure}`);
  if (!(Number.isInteger(maxNodes) && maxNodes >= 1)) throw new RangeError(`node budget must be an integer ≥ 1, got ${maxNodes}`);
  if (!(seconds > 0)) throw new RangeError(`time budget must be > 0 seconds, got ${seconds}`);
  const t0 = performance.now();
  let found = -Infinity, foundAt: number[] = [];
  const visit = (x: ArrayLike<number>) => {
    const v = disagreementAt(n1, n2, x)[measure];
    if (v > found) [found, foundAt] = [v, Array.from(x)];
  };
  if (o.start) visit(Array.from(o.start.x, (v, i) => Math.min(box[i]![1], Math.max(box[i]![0], v))));
  const method = { composed: 0, differential: 0 };
  const heap: Node[] = []; // max-heap on ub
  const less = (a: Node, b: Node) => a.ub < b.ub;
  const push = (n: Node) => {
    heap.push(n);
    for (let i = heap.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!less(heap[p]!, heap[i]!)) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const pop = (): Node => {
    const top = heap[0]!, last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[m]!, heap[l]!)) m = l;
        if (r < heap.length && less(heap[m]!, heap[r]!)) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  };
  let nodes = 0, differential = true;
  const bound = (b: Box, cap: number): Node => {
    nodes++;
    const d = diffBounds(n1, n2, b, o.method ?? "crown", differential);
    method.composed += d.method.composed;
    method.differential += d.method.differential;
    visit(b.map(([lo, hi]) => (lo + hi) / 2));
    visit(d.corner);
    let split = 0, best = -1;
    b.forEach(([lo, hi], i) => {
      const s = Math.abs(d.coef[i]!) * (hi - lo);
      if (s > best) [split, best] = [i, s];
    });
    if (!(best > 0)) b.forEach(([lo, hi], i) => { if (hi - lo > b[split]![1] - b[split]![0]) split = i; });
    return { box: b, ub: Math.min(cap, measureBound(d, measure)), split };
  };
  let closed = -Infinity; // the largest bound of a closed node: each is within tolerance of found
  const close = (n: Node) => { closed = Math.max(closed, n.ub); };
  const root = bound(box, Infinity);
  // unrelated networks (two seeds): where the differential bound loses on every pair at the root it
  // is skipped below it, which halves the cost of a sub-box
  differential = method.differential > 0;
  push(root);
  const certified = () => Math.max(found, closed, heap.length ? heap[0]!.ub : -Infinity);
  const history = [{ nodes, bound: certified(), found }];
  let mark = 2;
  while (heap.length && nodes < maxNodes && (performance.now() - t0) / 1000 < seconds) {
    if (heap[0]!.ub <= found + tol) break; // every open node is within tolerance of found
    const n = pop();
    let split = n.split;
    if (!(n.box[split]![1] > n.box[split]![0])) n.box.forEach(([lo, hi], i) => { if (hi - lo > n.box[split]![1] - n.box[split]![0]) split = i; });
    const [lo, hi] = n.box[split]!;
    if (!(hi > lo)) { closed = Math.max(closed, Math.min(n.ub, found)); continue; } // a point, evaluated as its centre: its value is ≤ found
    const mid = (lo + hi) / 2;
    for (const half of [[lo, mid], [mid, hi]] as [number, number][]) {
      const b = n.box.map((r, i) => (i === split ? half : r));
      const child = bound(b, n.ub);
      if (child.ub > found + tol) push(child);
      else close(child);
    }
    if (nodes >= mark) { history.push({ nodes, bound: certified(), found }); mark *= 2; }
  }
  while (heap.length && heap[0]!.ub <= found + tol) close(pop()); // nodes closed by the last value found
  const cert = certified();
  if (history.at(-1)!.nodes !== nodes) history.push({ nodes, bound: cert, found });
  return {
    measure, found, foundAt, bound: cert, gap: cert - found, root: root.ub, nodes, open: heap.length,
    exhausted: heap.length === 0, history, seconds: (performance.now() - t0) / 1000, method,
  };
}
