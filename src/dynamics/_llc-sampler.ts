// The SGLD engine behind the LLC: one compiled step for all chains at once (vmapped over a leading
// chain axis), full-batch or minibatch. Internal: `llc.ts` and `llc-calibrate.ts` drive it and
// turn its raw records into an estimate with diagnostics (`_llc-stats.ts`).
import { numpy as np, tree, vmap } from "@jax-js/jax";
import { Rng } from "../util/rng.ts";
import { type Loss, type Params, STREAM, assertFinite, expect, flatSpec, jitted, meanStd, valueAndGradOf } from "./_tree.ts";

/** The fixed shape of a sampler: everything but the step size and the burn-in, which a run may adapt. */
export interface SamplerSettings {
  n: number; // rows behind L_n
  nBeta: number; // n β
  gamma: number; // localisation γ
  chains: number;
  draws: number; // recorded steps per chain
  batchSize: number; // rows per gradient; ≥ n means full batch
  strata: number; // equal contiguous row blocks, each sampled batchSize / strata times per step
  metropolis: boolean; // accept each full-batch move with the MALA probability (exact chains)
  seed: number;
}

export interface RunOptions {
  stepSize: number; // ε (the starting ε when adapting)
  burnIn: number; // discarded steps per chain (the least, when adapting)
  // Adapt during burn-in: halve ε while a window's mean acceptance is below accept[0], grow it by
  // half while above accept[1] (full batch only), restart from w* with ε/4 on divergence, and
  // extend the burn-in, up to `maxBurnIn`, until the chains stop drifting from window to window.
  // `settle`: where some directions are held by γ alone, they need settle / (ε γ) steps
  adapt?: { maxBurnIn: number; accept: [number, number]; window: number; settle?: number };
  draws?: number; // recorded steps, if not the sampler's (1: a run only to adapt)
  onStep?: (done: number, total: number) => void;
}

/**
 * The rows a measurement at w* should use when the loss only takes minibatches of `batchSize`
 * rows (per-row model state such as environment heads): the first batchSize / strata rows of each
 * stratum. Borrows batch; with a full batch it returns a new reference to it.
 */
export function leadingRows<B extends Params>(batch: B, s: Pick<SamplerSettings, "n" | "batchSize" | "strata">): B {
  if (s.batchSize >= s.n) return tree.ref(batch);
  const per = s.n / s.strata, slot = s.batchSize / s.strata;
  const idx = Int32Array.from({ length: s.batchSize }, (_, i) => Math.floor(i / slot) * per + (i % slot));
  const ix = np.array(idx, { dtype: np.int32 });
  const out = tree.map((x: np.Array) => np.take(x, ix.ref, 0), tree.ref(batch)) as B;
  ix.dispose();
  return out;
}

/** What the chains saw at each recorded draw, per chain: [chain][draw]. */
export interface RawRun {
  excess: Float64Array[]; // L(w) − L(w*) on the step's rows (the full set, or one minibatch)
  dist2: Float64Array[]; // ‖w − w*‖²
  logAccept: Float64Array[]; // MALA log acceptance of the step that led here; NaN with minibatches
  initLoss: number; // L_n(w*) on all n rows
  stepSize: number; // the ε the draws used
  burnIn: number; // the burn-in steps before them (since the last restart)
  restarts: number; // divergences survived by restarting with a smaller ε
}

// sub-streams of STREAM.sgld: the noise keeps the plain (seed, sgld, chain) stream
export const SUB = { batch: 1, probe: 2, accept: 3 } as const;
const K = 4; // values per chain in a step's record
const DRIFT = 0.1; // the largest change between the halves of the burn-in's record, relative to its level
const PASSES = 3; // consecutive passes of the drift test that end the burn-in

/** min(1, α) from log α; a NaN (a non-finite proposal) counts as refused. */
export const acceptance = (logA: number) => (logA > -Infinity ? Math.min(1, Math.exp(logA)) : 0);

/**
 * A compiled sampler for one loss and one setting, runnable at many points. Each step, per chain,
 * proposes the Langevin move
 *   w' = w − (ε/2) ∇U(w) + N(0, ε I),   U(w) = nβ L(w) + γ/2 ‖w − w*‖²
 * toward the localised tempered posterior ∝ exp(−U). On the full batch the move is accepted with
 * the Metropolis probability (MALA), which makes the chains exact for any ε: ε then sets only how
 * fast they mix, and no proposal can diverge. With minibatches the move is always taken (SGLD, as
 * devinterp), with a bias of about ε·curvature/4 per direction; L is then the mean loss over
 * `batchSize` rows drawn afresh per chain and step, and L(w*) is taken on the same rows, so that
 * L(w) − L(w*) is unbiased for L_n(w) − L_n(w*) and nearly free of the rows' own noise.
 */
export function sgldSampler<P extends Params, B extends Params>(loss: Loss<P, B>, s: SamplerSettings) {
  const { n, nBeta, gamma, chains, draws, strata } = s;
  expect(Number.isFinite(n) && n > 1, "n: the dataset size, > 1", n);
  expect(nBeta > 0 && gamma >= 0, "nBeta > 0, gamma ≥ 0", { nBeta, gamma });
  expect([chains, draws].every((k) => Number.isInteger(k) && k >= 1), "chains and draws ≥ 1, integers", { chains, draws });
  const mini = s.batchSize < n;
  const b = mini ? s.batchSize : n;
  if (mini)
    expect(Number.isInteger(b) && b >= strata && b % strata === 0 && n % strata === 0,
      "batchSize a positive multiple of strata, and n divisible by strata", { n, batchSize: b, strata });
  const metropolis = s.metropolis && !mini; // a minibatch's U is noisy: no exact acceptance test exists
  // the rows `idx` of every leaf of a batch (consumes both); null: all of them
  const rows = (bt: B, idx: np.Array | null): B => {
    if (idx === null) return bt;
    const out = tree.map((x: np.Array) => np.take(x, idx.ref, 0), bt) as B;
    idx.dispose();
    return out;
  };
  const sum = (t: Params) => tree.leaves(t).reduce((a, c) => a.add(c));
  type Out = [P, P, np.Array, np.Array, np.Array];

  // State (w, g = ∇U(w), u = U(w), at = [L(w), ‖w − w*‖²]); e = [ε/2, √ε]; logU = log of a uniform
  // draw. Returns the next state and the record [L(w), L(w*), ‖w − w*‖², log α] with α the MALA
  // acceptance of the proposal.
  const one = (w: P, g: P, u: np.Array, at: np.Array, wStar: P, z: P, e: np.Array, logU: np.Array, bt: B, idx: np.Array | null) => {
    const half = e.ref.slice(0), root = e.slice(1);
    const batch = rows(bt, idx);
    const next = tree.map((wi: np.Array, gi: np.Array, zi: np.Array) => wi.sub(gi.mul(half.ref)).add(zi.mul(root.ref)),
      tree.ref(w), tree.ref(g), tree.ref(z)) as P;
    half.dispose();
    const [L, gL] = valueAndGradOf(loss)(tree.ref(next), tree.ref(batch));
    const delta = tree.map((a: np.Array, c: np.Array) => a.sub(c), tree.ref(next), tree.ref(wStar)) as P;
    const dist2 = sum(tree.map((d: np.Array) => np.square(d).sum(), tree.ref(delta)));
    const gNext = tree.map((gl: np.Array, d: np.Array) => gl.mul(nBeta).add(d.mul(gamma)), gL, delta) as P;
    const uNext = L.ref.mul(nBeta).add(dist2.ref.mul(gamma / 2));
    // log α = U(w) − U(w') + s·z − ½‖s‖², s = (√ε/2)(∇U(w) + ∇U(w')): no cancellation in float32
    const sv = tree.map((a: np.Array, c: np.Array) => a.add(c).mul(root.ref).mul(0.5), tree.ref(g), tree.ref(gNext)) as P;
    root.dispose();
    const sz = sum(tree.map((a: np.Array, c: np.Array) => a.ref.mul(c).sum().sub(np.square(a).sum().mul(0.5)), sv, z));
    const logA = u.ref.sub(uNext.ref).add(sz);
    const Lstar = mini ? loss(wStar, batch) : (tree.dispose([wStar, batch]), L.ref.mul(0)); // full batch: L_n(w*) is known
    const proposed = np.stack([L, dist2]);
    if (!metropolis) {
      tree.dispose([w, g, u, at, logU]);
      const [l, d2] = [proposed.ref.slice(0), proposed.ref.slice(1)];
      return [next, gNext, uNext, proposed, np.stack([l, Lstar, d2, logA])] as Out;
    }
    const ok = logA.ref.greater(logU); // false where α is NaN: a non-finite proposal is refused
    const pick = <T extends Params>(x: T, y: T) => tree.map((a: np.Array, c: np.Array) => np.where(ok.ref, a, c), x, y) as T;
    const [w2, g2, u2, at2] = [pick(next, w), pick(gNext, g), np.where(ok.ref, uNext, u), np.where(ok.ref, proposed, at)];
    const [l, d2] = [at2.ref.slice(0), at2.ref.slice(1)];
    ok.dispose();
    return [w2, g2, u2, at2, np.stack([l, Lstar, d2, logA])] as Out;
  };
  type Step = (w: P, g: P, u: np.Array, at: np.Array, wStar: P, z: P, e: np.Array, logU: np.Array, bt: B, idx?: np.Array) => Out;
  const step: Step & { dispose(): void } = mini
    ? jitted(vmap(one, [0, 0, 0, 0, null, 0, null, 0, null, 0]) as unknown as Step)
    : (() => {
        const full = (w: P, g: P, u: np.Array, at: np.Array, ws: P, z: P, e: np.Array, logU: np.Array, bt: B) => one(w, g, u, at, ws, z, e, logU, bt, null);
        const f = jitted(vmap(full, [0, 0, 0, 0, null, 0, null, 0, null]) as unknown as typeof full);
        return Object.assign((w: P, g: P, u: np.Array, at: np.Array, ws: P, z: P, e: np.Array, logU: np.Array, bt: B) => f(w, g, u, at, ws, z, e, logU, bt),
          { dispose: () => f.dispose() });
      })();

  /** Row indices of one stratified minibatch per generator [rngs, b]: stratum k fills slots k·b/S … */
  const drawRows = (rngs: Rng[]): np.Array => {
    const per = n / strata, slot = b / strata;
    const idx = new Int32Array(rngs.length * b);
    rngs.forEach((rng, c) => {
      for (let k = 0; k < strata; k++)
        for (let j = 0; j < slot; j++) idx[c * b + k * slot + j] = k * per + rng.int(per);
    });
    return np.array(idx, { shape: [rngs.length, b], dtype: np.int32 });
  };

  /** L_n(w*) over all n rows: the mean over a partition into minibatches when rows must come in b's. */
  const fullLoss = (params: P, batch: B): number => {
    if (!mini) return loss(tree.ref(params), tree.ref(batch)).item();
    const per = n / strata, slot = b / strata, parts = Math.ceil(per / slot);
    let total = 0;
    for (let q = 0; q < parts; q++) {
      const idx = new Int32Array(b); // part q: rows q·slot … of every stratum (wrapping in the last part)
      for (let k = 0; k < strata; k++) for (let j = 0; j < slot; j++) idx[k * slot + j] = k * per + ((q * slot + j) % per);
      total += loss(tree.ref(params), rows(tree.ref(batch), np.array(idx, { dtype: np.int32 }))).item();
    }
    return total / parts;
  };

  const run = (params: P, batch: B, o: RunOptions): RawRun => {
    expect(o.stepSize > 0 && Number.isInteger(o.burnIn) && o.burnIn >= 0, "stepSize > 0 and burnIn ≥ 0, an integer", o);
    const spec = flatSpec(params);
    const initLoss = assertFinite(fullLoss(params, batch), "as the loss at w*");
    const stack = (x: np.Array) => np.broadcastTo(x.reshape([1, ...x.shape]), [chains, ...x.shape]);
    const sizes = spec.shapes.map((_, i) => spec.offsets[i + 1]! - spec.offsets[i]!);
    const noise = sizes.map((sz) => new Float32Array(chains * sz)); // per leaf [chains, ...leaf]
    const draws = o.draws ?? s.draws;
    const rec = () => Array.from({ length: chains }, () => new Float64Array(draws));
    const out: RawRun = { excess: rec(), dist2: rec(), logAccept: rec(), initLoss, stepSize: o.stepSize, burnIn: 0, restarts: 0 };
    const ad = o.adapt, W = ad?.window ?? 1;
    let eps = o.stepSize;
    let noiseRng: Rng[] = [], rowRng: Rng[] = [], acceptRng: Rng[] = [];
    let w: P, g: P, u: np.Array, at: np.Array;
    const start = () => { // every chain at w*, its streams at their beginning
      // one stream per chain: chain c's path does not depend on how many chains run beside it
      noiseRng = Array.from({ length: chains }, (_, c) => new Rng(s.seed, STREAM.sgld, c));
      rowRng = Array.from({ length: chains }, (_, c) => new Rng(s.seed, STREAM.sgld, c, SUB.batch));
      acceptRng = Array.from({ length: chains }, (_, c) => new Rng(s.seed, STREAM.sgld, c, SUB.accept));
      // U(w*) = nβ L(w*), ∇U(w*) = nβ ∇L(w*) (on some rows when minibatching)
      const first = mini ? drawRows([rowRng[0]!]).reshape([b]) : null;
      const [L0, g0] = valueAndGradOf(loss)(tree.ref(params), rows(tree.ref(batch), first));
      w = tree.map(stack, tree.ref(params)) as P; // leaves [chains, ...leaf]
      g = tree.map((x: np.Array) => stack(x.mul(nBeta)), g0) as P;
      u = stack(L0.ref.mul(nBeta));
      at = stack(np.stack([L0, np.zeros([])])); // [chains, 2]
    };
    start();
    // per chain, per window: Σ nβ (L − L*); and the window's summed acceptance
    const win = { s: new Float64Array(chains), acc: 0 };
    let history: number[][] = []; // per window since ε last changed: each chain's mean nβ (L − L*)
    const minBurnIn = ad ? Math.ceil(o.burnIn / W) * W : o.burnIn; // adaptation acts at window ends
    let burnIn = minBurnIn, t = 0, passes = 0;
    const planned = () => burnIn + draws;
    try {
      for (; t < burnIn + draws; t++) {
        noiseRng.forEach((rng, c) => noise.forEach((zb, i) => rng.fillNormal(zb, 1, c * sizes[i]!, sizes[i]!)));
        const z = tree.unflatten(spec.treedef, noise.map((buf, i) => np.array(buf, { shape: [chains, ...spec.shapes[i]!] }))) as P;
        const e = np.array([eps / 2, Math.sqrt(eps)]);
        const logU = np.array(Float32Array.from(acceptRng, (rng) => Math.log(rng.uniform() || 1e-300)));
        const [w2, g2, u2, at2, r] = step(w!, g!, u!, at!, tree.ref(params), z, e, logU, tree.ref(batch), mini ? drawRows(rowRng) : undefined);
        [w, g, u, at] = [w2, g2, u2, at2];
        const v = r.dataSync() as Float32Array; // [chains, 4]: L(w), L(w*), ‖w − w*‖², log α
        const bad = Array.from({ length: chains }, (_, c) => c).find((c) => !Number.isFinite(v[K * c]!));
        if (bad !== undefined) {
          if (!ad || t >= burnIn || out.restarts >= 6)
            assertFinite(v[K * bad]!, `in SGLD at step ${t}, chain ${bad} (try a smaller stepSize than ${eps})`);
          tree.dispose([w, g, u, at]);
          [eps, t, burnIn, history, passes] = [eps / 4, -1, minBurnIn, [], 0];
          out.restarts++;
          win.s.fill(0), (win.acc = 0);
          start();
          continue;
        }
        for (let c = 0; c < chains; c++) {
          const [L, Ls, d2, la] = [v[K * c]!, mini ? v[K * c + 1]! : initLoss, v[K * c + 2]!, v[K * c + 3]!];
          if (t < burnIn) {
            const x = nBeta * (L - Ls);
            win.s[c]! += x, (win.acc += acceptance(la));
            continue;
          }
          out.excess[c]![t - burnIn] = L - Ls;
          out.dist2[c]![t - burnIn] = d2;
          out.logAccept[c]![t - burnIn] = mini ? NaN : la;
        }
        if (ad && t < burnIn && (t + 1) % W === 0) {
          const cur = Array.from(win.s, (sum) => sum / W);
          const acc = win.acc / (W * chains);
          win.s.fill(0), (win.acc = 0);
          history.push(cur);
          const slow = ad.settle ? ad.settle / (eps * gamma) : 0; // the prior-held directions' relaxation
          // settled: the drift test has passed at PASSES window ends in a row (one pass is easy by chance)
          passes = drifting(history) ? 0 : passes + 1;
          let settled = passes >= PASSES && t + 1 >= slow;
          if (!mini && acc < ad.accept[0]) [eps, settled, history, passes] = [eps / 2, false, [], 0]; // the drift test starts over
          // far above the band (a conservative start): larger steps, unless they have diverged before
          else if (!mini && acc > ad.accept[1] && out.restarts === 0) [eps, settled, history, passes] = [eps * 1.5, false, [], 0];
          if (t + 1 === burnIn && !settled && burnIn + W <= ad.maxBurnIn) burnIn += W; // one more window
        }
        o.onStep?.(t + 1, planned());
      }
    } finally {
      tree.dispose([w!, g!, u!, at!]);
    }
    return { ...out, stepSize: eps, burnIn };
  };
  return { run, dispose: () => step.dispose() };
}

/**
 * Whether the chains still drift: the change in each chain's mean from the first to the second
 * half of the windows so far (the baseline grows with the burn-in, so slow drifts show), taken
 * across chains, which are independent, so its standard error holds however autocorrelated each
 * one is. Settled only where the change is both insignificant (within 2 SE of 0) and shown small
 * (|change| + 2 SE ≤ DRIFT × the level): a t-test alone passes whenever the chains are too noisy
 * to see a drift, and on the strongly singular normal crossings (two factors, max k ≥ 3) it ended
 * the burn-in at 350–450 steps while the chains still crept along the arms of the cross, λ̂ up to
 * 19% low with R̂ ≈ 1.005. Such chains now burn in to the budget.
 */
function drifting(windows: number[][]): boolean {
  const k = windows.length;
  if (k < 4) return true;
  const mean = (from: number, to: number, c: number) => windows.slice(from, to).reduce((s, w) => s + w[c]!, 0) / (to - from);
  const [a, b] = [0, Math.floor(k / 2)];
  const d = windows[0]!.map((_, c) => mean(b, k, c) - mean(a, b, c));
  const { mean: m, std } = meanStd(d);
  if (d.length < 2) return false;
  const se = std / Math.sqrt(d.length);
  const level = Math.abs(meanStd(windows[0]!.map((_, c) => mean(b, k, c))).mean);
  // drifting unless the change is shown small: within 2 SE of 0, and its 2-SE bound a small part of the level
  return Math.abs(m) > 2 * se || Math.abs(m) + 2 * se > DRIFT * level;
}
