// Soundness of the certified bounds on one network and on the disagreement of two: every bound
// holds on a dense grid of inputs (1–2 input dims, so the grid leaves nothing between its points
// that a small network could hide), plus hand-worked bounds and the known answer "identical
// networks disagree nowhere".
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Box, type Net, certifyModel, denseLayer, ibpBounds, layerBounds, logitsAt, softmax64 } from "../../src/dynamics/certify.ts";
import { type DiffMeasure, boundCost, certifyDisagreement, defaultNodes, diffBounds, disagreementAt, measureBound } from "../../src/dynamics/certify-diff.ts";
import { Rng } from "../../src/util/rng.ts";

/** A random ReLU network: widths of the hidden layers, then C logits; N(0, 1/fan_in)·gain weights. */
export function randomNet(seed: number, D: number, hidden: number[], C: number, gain = 1.5, linear = -1): Net {
  const rng = new Rng(seed, 17);
  const sizes = [D, ...hidden, C];
  return sizes.slice(1).map((o, j) => {
    const i = sizes[j]!;
    const w = Array.from({ length: i * o }, () => (rng.normal() * gain) / Math.sqrt(i));
    const b = Array.from({ length: o }, () => rng.normal() * 0.5);
    return denseLayer(w, b, i, j < hidden.length && j !== linear); // `linear`: a hidden layer without ReLU (a bottleneck)
  });
}

/** The grid of `k` points per dimension over the box (k^D points). */
export function grid(box: Box, k: number): number[][] {
  let pts: number[][] = [[]];
  for (const [lo, hi] of box) pts = pts.flatMap((p) => Array.from({ length: k }, (_, t) => [...p, lo + ((hi - lo) * t) / (k - 1)]));
  return pts;
}

const randomBox = (rng: Rng, D: number): Box => Array.from({ length: D }, () => {
  const c = rng.normal(), r = 0.1 + 1.5 * rng.uniform();
  return [c - r, c + r] as [number, number];
});

const EPS = 1e-9;

describe("certified bounds on one network", () => {
  it("hand-worked: y = relu(x) + relu(0.5 − x) on x ∈ [−1, 1]", () => {
    const net = [denseLayer([1, -1], [0, 0.5], 1, true), denseLayer([1, 1], [0], 2, false)];
    const box: Box = [[-1, 1]];
    // IBP: z1 = x ∈ [−1, 1], z2 = 0.5 − x ∈ [−0.5, 1.5]; relu: [0, 1] and [0, 1.5]; y ∈ [0, 2.5]
    const ibp = ibpBounds(net, box);
    assert.deepEqual([ibp[1]!.lo[0], ibp[1]!.hi[0]], [0, 2.5]);
    // CROWN upper: relu(z1) ≤ (z1 + 1)/2 (chord over [−1, 1]); relu(z2) ≤ 0.75(z2 + 0.5) (chord over
    // [−0.5, 1.5]); y ≤ 0.5(x + 1) + 0.75(1 − x) = 1.25 − 0.25x, largest at x = −1: 1.5, which y attains.
    // CROWN lower: relu(z1) ≥ 0 (u = 1 ≯ −l = 1), relu(z2) ≥ z2 (1.5 > 0.5): y ≥ 0.5 − x ≥ −0.5, so
    // IBP's 0 is kept (the true minimum is 0.5, on x ∈ [0, 0.5]).
    const crown = layerBounds(net, box, "crown");
    assert.ok(Math.abs(crown[1]!.hi[0]! - 1.5) < 1e-12, `CROWN upper ${crown[1]!.hi[0]}`);
    assert.equal(crown[1]!.lo[0], 0);
    const ys = grid(box, 2001).map((x) => logitsAt(net, x)[0]!);
    assert.ok(Math.abs(Math.max(...ys) - 1.5) < 1e-12 && Math.abs(Math.min(...ys) - 0.5) < 1e-12);
  });

  it("logit and probability bounds hold on a dense grid (IBP and CROWN, 60 random networks)", () => {
    let tighter = 0, total = 0;
    for (let seed = 0; seed < 60; seed++) {
      const D = 1 + (seed % 2), rng = new Rng(seed, 5);
      const net = randomNet(seed, D, seed % 3 === 0 ? [6, 5] : [8], 3);
      const box = randomBox(rng, D);
      const pts = grid(box, D === 1 ? 801 : 61);
      const ibp = certifyModel(net, box, "ibp"), crown = certifyModel(net, box, "crown");
      for (const x of pts) {
        const z = logitsAt(net, x), p = softmax64(z);
        for (const b of [ibp, crown]) for (let c = 0; c < 3; c++) {
          assert.ok(z[c]! >= b.logits.lo[c]! - EPS && z[c]! <= b.logits.hi[c]! + EPS, `seed ${seed} ${b.method}: logit ${c} = ${z[c]} outside [${b.logits.lo[c]}, ${b.logits.hi[c]}]`);
          assert.ok(p[c]! >= b.probs.lo[c]! - EPS && p[c]! <= b.probs.hi[c]! + EPS, `seed ${seed} ${b.method}: p ${c} = ${p[c]} outside [${b.probs.lo[c]}, ${b.probs.hi[c]}]`);
        }
      }
      for (let c = 0; c < 3; c++) {
        // CROWN at least as tight as IBP
        assert.ok(crown.logits.hi[c]! <= ibp.logits.hi[c]! && crown.logits.lo[c]! >= ibp.logits.lo[c]!, `seed ${seed}`);
        assert.ok(crown.probs.hi[c]! <= ibp.probs.hi[c]! + 1e-15 && crown.probs.lo[c]! >= ibp.probs.lo[c]! - 1e-15, `seed ${seed}`);
        total++;
        tighter += +(crown.logits.hi[c]! - crown.logits.lo[c]! < ibp.logits.hi[c]! - ibp.logits.lo[c]! - 1e-9);
      }
    }
    assert.ok(tighter > total / 2, `CROWN strictly tighter on only ${tighter} of ${total} logits`);
  });

  it("bounds tighten as the region shrinks to a point", () => {
    for (let seed = 0; seed < 20; seed++) {
      const net = randomNet(100 + seed, 2, [8, 8], 3), centre = [0.3, -0.2];
      let prevIbp = Infinity, prevCrown = Infinity;
      for (const eps of [2, 1, 0.5, 0.1, 0.01, 0.001, 0]) {
        const box: Box = centre.map((c) => [c - eps, c + eps]);
        const width = (b: ReturnType<typeof certifyModel>) => Math.max(...b.logits.hi.map((h, c) => h - b.logits.lo[c]!));
        const wi = width(certifyModel(net, box, "ibp")), wc = width(certifyModel(net, box, "crown"));
        assert.ok(wi <= prevIbp + 1e-12, `seed ${seed} eps ${eps}: IBP width ${wi} > ${prevIbp}`); // IBP is monotone under inclusion
        assert.ok(wc <= prevCrown + 1e-12, `seed ${seed} eps ${eps}: CROWN width ${wc} > ${prevCrown}`);
        [prevIbp, prevCrown] = [wi, wc];
      }
      assert.ok(prevCrown < 1e-12, `a point has zero-width bounds, got ${prevCrown}`);
    }
  });

  it("refuses a malformed network or region", () => {
    const net = randomNet(1, 2, [4], 2);
    assert.throws(() => certifyModel(net, [[0, 1]]), /region has 1 dims, the network reads 2/);
    assert.throws(() => certifyModel(net, [[0, 1], [1, 0]]), /region dim 1/);
    assert.throws(() => denseLayer([1, 2, 3], [0, 0], 2, true), /expected nIn·nOut/);
  });
});

describe("certified disagreement of two networks", () => {
  const MEASURES: DiffMeasure[] = ["kl", "tv", "logit"];

  it("is never below the true maximum on a dense grid (96 random pairs, root and after B&B)", () => {
    for (let seed = 0; seed < 96; seed++) {
      // seed bits: perturbed copy or not, 1 or 2 input dims, depth; half the deepest with a linear bottleneck
      const D = 1 + (Math.floor(seed / 2) % 2), rng = new Rng(seed, 9), depth = Math.floor(seed / 4) % 4;
      const hidden = [[6], [5, 4], [6, 6], [5, 3, 4]][depth]!, linear = depth === 3 && seed % 32 < 16 ? 1 : -1;
      const n1 = randomNet(2 * seed, D, hidden, 3, 1.5, linear);
      // half the pairs are unrelated networks (some of another shape), half a network and a perturbed copy
      const n2 = seed % 2 === 0 ? n1.map((l) => ({ ...l, w: l.w.map((w) => w + 0.2 * rng.normal()), b: l.b.map((b) => b + 0.2 * rng.normal()) }))
        : randomNet(2 * seed + 1, D, seed % 8 === 5 ? [7, 3] : hidden, 3, 1.5, linear);
      const box = randomBox(rng, D);
      const pts = grid(box, D === 1 ? 801 : 61).map((x) => disagreementAt(n1, n2, x));
      const root = diffBounds(n1, n2, box), ibp = diffBounds(n1, n2, box, "ibp");
      for (const m of MEASURES) {
        const truth = Math.max(...pts.map((p) => p[m]));
        const rb = measureBound(root, m), ib = measureBound(ibp, m);
        assert.ok(rb >= truth - EPS && ib >= truth - EPS, `seed ${seed} ${m}: root bound ${rb} (IBP ${ib}) < grid max ${truth}`);
        assert.ok(rb <= ib + 1e-12, `seed ${seed} ${m}: CROWN ${rb} looser than IBP ${ib}`);
        const r = certifyDisagreement(n1, n2, box, { measure: m, nodes: 40 });
        assert.ok(r.bound >= truth - EPS, `seed ${seed} ${m}: B&B bound ${r.bound} < grid max ${truth}`);
        assert.ok(r.found <= r.bound + EPS && r.gap >= -EPS, `seed ${seed} ${m}: found ${r.found} > bound ${r.bound}`);
        assert.ok(r.bound <= rb + EPS, `seed ${seed} ${m}: B&B ${r.bound} looser than its root ${rb}`);
      }
    }
  });

  it("is never below any of 20000 sampled inputs in 4–8 dims (48 deeper pairs, near and far)", () => {
    for (let seed = 0; seed < 48; seed++) {
      const rng = new Rng(seed, 21), D = 4 + (seed % 5), scale = [0.01, 0.1, 1][seed % 3]!;
      const n1 = randomNet(1000 + seed, D, [10, 8, 6], 4, 1.5, seed % 4 === 0 ? 1 : -1);
      const n2 = n1.map((l) => ({ ...l, w: l.w.map((w) => w + scale * rng.normal()), b: l.b.map((b) => b + scale * rng.normal()) }));
      const box = randomBox(rng, D);
      const best = { kl: 0, tv: 0, logit: 0 };
      for (let t = 0; t < 20000; t++) {
        // corners half the time: the extremes of a piecewise-linear difference often sit there
        const x = box.map(([lo, hi]) => (t % 2 ? lo + (hi - lo) * rng.uniform() : rng.uniform() < 0.5 ? lo : hi));
        const v = disagreementAt(n1, n2, x);
        for (const m of MEASURES) best[m] = Math.max(best[m], v[m]);
      }
      const root = diffBounds(n1, n2, box);
      for (const m of MEASURES) assert.ok(measureBound(root, m) >= best[m] - EPS, `seed ${seed} ${m}: bound ${measureBound(root, m)} < sampled ${best[m]}`);
    }
  });

  it("two identical networks certify exactly zero", () => {
    for (let seed = 0; seed < 10; seed++) {
      const n1 = randomNet(seed, 16, [32, 16], 4), n2 = n1.map((l) => ({ ...l, w: l.w.slice(), b: l.b.slice() }));
      const box: Box = Array.from({ length: 16 }, () => [-3, 3]);
      for (const m of MEASURES) {
        const r = certifyDisagreement(n1, n2, box, { measure: m, nodes: 1 });
        assert.equal(r.bound, 0, `seed ${seed} ${m}: ${r.bound}`);
        assert.ok(r.exhausted);
      }
    }
  });

  it("proves zero where two different weight settings are the same function on the region", () => {
    // unit 0 of the hidden layer is dead on x ∈ [0, 1]² (z = −x₁ − x₂ − 1 < 0): its incoming and
    // outgoing weights may differ at will without changing the function there
    const base = (w0: number[], out0: number[]) => [
      denseLayer([...[-1, -1].flatMap((v, i) => [v * w0[i]!, [0.5, -0.3][i]!, [0.2, 0.8][i]!])], [-1 * w0[2]!, 0.1, -0.2], 2, true),
      denseLayer([...out0, 1, -1, 0.5, 0.3, -0.7, 0.4], [0.1, 0, -0.1], 3, false),
    ];
    const n1 = base([1, 1, 1], [2, -3, 1]), n2 = base([3, 0.5, 2], [-5, 4, 7]);
    const box: Box = [[0, 1], [0, 1]];
    assert.ok(Math.max(...grid(box, 11).map((x) => disagreementAt(n1, n2, x).logit)) === 0, "the same function on the grid");
    for (const m of MEASURES) assert.equal(certifyDisagreement(n1, n2, box, { measure: m, nodes: 1 }).bound, 0, m);
    // outside the region the dead unit wakes up and the networks differ: the bound sees it
    const wide = certifyDisagreement(n1, n2, [[-3, 1], [-3, 1]], { measure: "logit", nodes: 200 });
    assert.ok(wide.found > 0.1 && wide.bound >= wide.found);
  });

  it("shared structure tightens it: a slightly perturbed copy gets a bound far below the composed one", () => {
    const rng = new Rng(4, 4), D = 8;
    const n1 = randomNet(4, D, [24, 24], 4);
    const n2 = n1.map((l) => ({ ...l, w: l.w.map((w) => w + 1e-3 * rng.normal()) }));
    const box: Box = Array.from({ length: D }, () => [-1, 1]);
    const d = diffBounds(n1, n2, box);
    const other = diffBounds(n1, randomNet(5, D, [24, 24], 4), box);
    assert.ok(d.method.differential > 0, "the differential bound wins on some pair");
    const near = measureBound(d, "logit"), far = measureBound(other, "logit");
    assert.ok(near < far / 20, `near copy ${near}, unrelated ${far}`);
  });

  it("B&B: the bound never grows with the node budget and the gap closes in 1 dim", () => {
    for (let seed = 0; seed < 12; seed++) {
      const D = 1 + (seed % 2);
      const n1 = randomNet(300 + seed, D, [8, 8], 3), n2 = randomNet(400 + seed, D, [8, 8], 3);
      const box: Box = Array.from({ length: D }, () => [-2, 2]);
      let prev = Infinity;
      for (const nodes of [1, 3, 9, 27, 81, 243]) {
        const r = certifyDisagreement(n1, n2, box, { measure: "kl", nodes });
        assert.ok(r.bound <= prev + 1e-12, `seed ${seed}: ${nodes} nodes give ${r.bound} > ${prev}`);
        r.history.forEach((h, i) => i && assert.ok(h.bound <= r.history[i - 1]!.bound + 1e-12 && h.found >= r.history[i - 1]!.found));
        prev = r.bound;
      }
      if (D === 1) {
        const r = certifyDisagreement(n1, n2, box, { measure: "kl", nodes: 2000, tolerance: 1e-4 });
        assert.ok(r.gap <= 1e-3 * Math.max(1, r.found), `seed ${seed}: gap ${r.gap} after ${r.nodes} nodes (found ${r.found})`);
      }
    }
  });

  it("sizes the default budget by the cost of a bound", () => {
    // 16 inputs, 32 hidden, 4 classes: 32·(16·32) + 4·(16·32 + 32·4) = 16384 + 2560 multiply-adds
    const small = randomNet(1, 16, [32], 4), big = randomNet(2, 28, [128, 128], 4);
    assert.equal(boundCost(small), 18944);
    assert.equal(defaultNodes(small, small), 2000);
    // 128·3584 + 128·(3584 + 16384) + 4·(19968 + 512) = 3,096,576: 2000 · 2e5 / that = 129
    assert.equal(boundCost(big), 3096576);
    assert.equal(defaultNodes(small, big), 129);
  });

  it("is deterministic with a node budget", () => {
    const n1 = randomNet(7, 4, [16], 3), n2 = randomNet(8, 4, [16], 3), box: Box = Array.from({ length: 4 }, () => [-1, 1]);
    const a = certifyDisagreement(n1, n2, box, { nodes: 200 }), b = certifyDisagreement(n1, n2, box, { nodes: 200 });
    assert.deepEqual([a.bound, a.found, a.nodes, a.foundAt], [b.bound, b.found, b.nodes, b.foundAt]);
  });
});
