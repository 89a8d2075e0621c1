// The jitted step's gradients, checked against central finite differences, for every objective
// and every sharing-pressure knob that touches the forward pass. Arrays are float64, but jax-js
// evaluates exp/log/tanh to float32 accuracy, so the step is 1e-3 and the tolerance 1e-3 + 1%.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { grad, init, numpy as np, tree } from "@jax-js/jax";
import { Mlp, modelSchema, type Params } from "../../src/models/mlp.ts";
import { objectives } from "../../src/objectives/index.ts";
import { trainSchema } from "../../src/train/config.ts";
import { stepLoss, type StepBatch, type StepConfig } from "../../src/train/step.ts";
import { Rng } from "../../src/util/rng.ts";

const S = 2, B = 5, D = 6, C = 4, E = 2;
const f64 = (a: Float32Array, shape: number[]) => np.array(a).reshape(shape).astype(np.float64);
const randn = (rng: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.normal() * scale);
const oneHot = (rng: Rng, rows: number) => {
  const a = new Float32Array(rows * C);
  for (let r = 0; r < rows; r++) a[r * C + rng.int(C)] = 1;
  return a;
};

type Kind = "sft" | "reward" | "preference";

function makeBatch(kind: Kind, heads: boolean, dropout: boolean, rng: Rng): StepBatch {
  const mask = f64(new Float32Array(B).fill(1), [1, B]);
  const b: StepBatch = { x: f64(randn(rng, S * B * D), [S, B, D]), obj: {} };
  if (kind === "sft") b.obj.sft = { mask, t: { target: f64(oneHot(rng, S * B), [S, B, C]) } };
  if (kind === "reward")
    b.obj.reward = { mask, t: {
      rewards: f64(Float32Array.from({ length: S * B * C }, () => rng.uniform()), [S, B, C]),
      gumbel: f64(randn(rng, S * B * C), [S, B, C]),
      useBaseline: f64(new Float32Array(B).fill(1), [1, B]),
      exact: f64(new Float32Array(B), [1, B]), // one answer per input: no sequence to match
    } };
  if (kind === "preference")
    b.obj.preference = { mask, t: {
      chosen: f64(oneHot(rng, S * B), [S, B, C]),
      rejected: f64(oneHot(rng, S * B), [S, B, C]),
      beta: f64(new Float32Array(B).fill(0.7), [1, B]),
    } };
  if (heads) {
    const w = new Float32Array(B * E);
    for (let i = 0; i < B; i++) w[i * E + (i % E)] = 1;
    b.heads = f64(w, [1, B, E, 1]);
  }
  if (dropout) b.noise = [f64(Float32Array.from({ length: S * B * 8 }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7)), [S, B, 8])];
  return b;
}

const toF64 = (p: Params): Params => tree.map((a: np.Array) => a.astype(np.float64), p) as Params;

const cases: [string, Kind, Record<string, unknown>][] = [
  ["sft, plain MLP", "sft", {}],
  ["reward (REINFORCE with baseline)", "reward", {}],
  ["preference (DPO against a reference)", "preference", {}],
  ["sft with bottleneck, per-env heads, L1", "sft", { bottleneck: 3, heads: "per-env", l1: 0.3 }],
  ["sft with dropout", "sft", { dropout: 0.3 }],
];

describe("stepLoss gradients match central finite differences (float64)", () => {
  before(async () => { await init("wasm"); });
  for (const [name, kind, model] of cases)
    it(name, () => {
      const spec = modelSchema.parse({ hidden: [8], ...model });
      const net = new Mlp(spec, { input: D, classes: C, envs: E });
      const c: StepConfig = { model: net, optim: trainSchema.parse({}), objectives: [objectives.get(kind)] };
      const rng = new Rng(7, kind.length, Object.keys(model).length);
      const batch = makeBatch(kind, spec.heads === "per-env", spec.dropout > 0, rng);
      const p = toF64(net.init(3, [0, 1]));
      const ref = kind === "preference" ? toF64(net.init(4, [0, 1])) : undefined;
      const loss = (q: Params) => stepLoss(c, q, ref ? tree.ref(ref) : undefined, tree.ref(batch)).sum();
      const g = grad(loss)(tree.ref(p));
      const [pl, def] = tree.flatten(p) as [np.Array[], any];
      const gl = tree.leaves(g) as np.Array[];
      const eps = 1e-3;
      let checked = 0;
      pl.forEach((leaf, li) => {
        const gv = gl[li]!.ref.dataSync() as Float64Array;
        for (let k = 0; k < 4; k++) {
          const i = rng.int(leaf.size);
          const bump = (sgn: number) => {
            const e = new Float32Array(leaf.size);
            e[i] = 1;
            const moved = pl.map((l, j) => (j === li ? l.ref.add(f64(e, l.shape).mul(sgn * eps)) : l.ref));
            return (loss(tree.unflatten(def, moved) as Params).dataSync() as Float64Array)[0]!;
          };
          const fd = (bump(1) - bump(-1)) / (2 * eps);
          assert.ok(Math.abs(fd - gv[i]!) <= 1e-3 + 1e-2 * Math.abs(fd), `${name}: leaf ${li}[${i}] fd ${fd} vs grad ${gv[i]}`);
          checked++;
        }
      });
      assert.ok(checked >= 16);
      tree.dispose([p, g, batch, ref ?? []]);
    });
});
