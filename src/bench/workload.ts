// The reference workload: MLP 32→128→128→8, batch 64, Adam, cross-entropy, trained through the
// same jitted step as real runs (engine only: batches are generated once, outside the timing).
import { init, numpy as np, tree } from "@jax-js/jax";
import { Mlp, modelSchema } from "../models/mlp.ts";
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

/** Trains `seeds` models side by side for at least `minSeconds` (after warm-up); returns steps and seconds. */
export async function timeWorkload(seeds: number, minSeconds: number): Promise<{ steps: number; seconds: number }> {
  await init("wasm");
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
  for (let t = 1; t <= 3; t++) run(t); // compile and warm up
  const t0 = performance.now();
  let steps = 0;
  while (steps < 5 || performance.now() - t0 < minSeconds * 1000) run(4 + steps++);
  const seconds = (performance.now() - t0) / 1000;
  tree.dispose([params, opt, X, Y, mask]);
  return { steps, seconds };
}
