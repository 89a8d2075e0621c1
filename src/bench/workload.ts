// The reference workload: MLP 32→128→128→8, batch 64, Adam, cross-entropy, trained by the same
// engines as real runs: the fused Wasm kernel or the jitted jax-js step (engine only: batches are
// generated once, outside the timing).
import { init, numpy as np, tree } from "@jax-js/jax";
import { FusedMlp } from "../kernels/mlp.ts";
import { Mlp, modelSchema, type Params } from "../models/mlp.ts";
import { sft } from "../objectives/sft.ts";
import { initOptState } from "../train/optim.ts";
import { trainSchema } from "../train/config.ts";
import { buildStep, type StepBatch } from "../train/step.ts";
import { Rng } from "../util/rng.ts";

export const REFERENCE = { input: 32, hidden: [128, 128], classes: 8, batch: 64 };

/** FLOPs of one model-step: forward matmuls ×3 (forward, two backward products per layer). */
export function flopsPerModelStep(): number {
  const { input, hidden, classes, batch } = REFERENCE;
  const dims = [input, ...hidden, classes];
  let macs = 0;
  for (let i = 0; i + 1 < dims.length; i++) macs += dims[i]! * dims[i + 1]!;
  return 3 * 2 * batch * macs;
}

export type BenchEngine = "fused" | "jax";
export interface Timed { steps: number; seconds: number; cpuSeconds: number }

/** Trains `seeds` models side by side for at least `minSeconds` (after warm-up); returns steps, wall and CPU seconds. */
export async function timeWorkload(seeds: number, minSeconds: number, engine: BenchEngine = "jax"): Promise<Timed> {
  await init("wasm");
  if (engine === "fused") return timeFused(seeds, minSeconds);
  const { input, classes, batch: B } = REFERENCE;
  const model = new Mlp(modelSchema.parse({ hidden: REFERENCE.hidden }), { input, classes, envs: 1 });
  const optim = trainSchema.parse({ optimizer: "adam" });
  const step = buildStep({ model, optim, objectives: [sft] });
  let params = model.init(0, Array.from({ length: seeds }, (_, i) => i));
  let opt = initOptState(optim, params);
  const rng = new Rng(42);
  const x = new Float32Array(seeds * B * input), y = new Float32Array(seeds * B * classes);
  rng.fillNormal(x);
  for (let i = 0; i < seeds * B; i++) y[i * classes + rng.int(classes)] = 1;
  const X = np.array(x).reshape([seeds, B, input]), Y = np.array(y).reshape([seeds, B, classes]);
  const mask = np.ones([1, B]);
  const run = (t: number) => {
    const batch: StepBatch = { x: X.ref, obj: { sft: { mask: mask.ref, t: { target: Y.ref } } } };
    const [p, o, loss] = step(params, opt, {}, batch, np.array(t));
    [params, opt] = [p, o];
    loss.dataSync(); // as in real runs: the per-seed loss is read every step to catch divergence
  };
  const r = timeLoop(run, minSeconds);
  tree.dispose([params, opt, X, Y, mask]);
  return r;
}

/** The same workload in the fused kernel: same initial weights, data and per-step loss read. */
function timeFused(seeds: number, minSeconds: number): Timed {
  const { input, classes, batch: B } = REFERENCE;
  const model = new Mlp(modelSchema.parse({ hidden: REFERENCE.hidden }), { input, classes, envs: 1 });
  const o = trainSchema.parse({ optimizer: "adam" }), a = model.arch;
  const k = new FusedMlp({
    S: seeds, B, input, classes, heads: 1, widths: a.widths, relu: a.relu, l1: 0, dropout: false,
    optimizer: o.optimizer, lr: o.lr, momentum: o.momentum, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, l2Init: 0, objectives: { sft: true },
  });
  const p = model.init(0, Array.from({ length: seeds }, (_, i) => i)) as Params;
  const leaves = [...p.layers.flatMap((l) => [l.w, l.b]), p.head.w, p.head.b];
  leaves.forEach((l, i) => k.leaves("params")![i]!.set(l.dataSync() as Float32Array));
  const rng = new Rng(42);
  rng.fillNormal(k.batch.x);
  for (let i = 0; i < seeds * B; i++) k.batch.sft!.target[i * classes + rng.int(classes)] = 1;
  k.batch.sft!.mask.fill(1);
  let sink = 0;
  const run = (t: number) => {
    const loss = k.step(t);
    for (let i = 0; i < loss.length; i++) sink += loss[i]!; // as in real runs: the per-seed loss is read every step
  };
  const r = timeLoop(run, minSeconds);
  if (!Number.isFinite(sink)) throw new Error("fused bench: the loss diverged");
  return r;
}

/** Warms up (3 steps), then runs steps for at least `minSeconds` and 5 steps. */
function timeLoop(run: (t: number) => void, minSeconds: number): Timed {
  for (let t = 1; t <= 3; t++) run(t); // compile and warm up
  const t0 = performance.now(), c0 = process.cpuUsage();
  let steps = 0;
  while (steps < 5 || performance.now() - t0 < minSeconds * 1000) run(4 + steps++);
  const seconds = (performance.now() - t0) / 1000, cpu = process.cpuUsage(c0);
  return { steps, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
