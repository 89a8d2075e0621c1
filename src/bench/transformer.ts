// The transformer reference workload (issue 12): 2 blocks, d_model 64, 4 heads, context 32,
// vocabulary 32, batch 32 sequences, Adam, next-token cross-entropy at every position. Engine
// only: one jitted step (forward, backward, Adam) on a batch generated once, outside the timing;
// bench/torch_transformer.py is the same workload in PyTorch.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { init, jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { Transformer, transformerSchema, type Params } from "../models/transformer.ts";
import { trainSchema } from "../train/config.ts";
import { initOptState, update, type OptState } from "../train/optim.ts";
import { Rng } from "../util/rng.ts";

export const TRANSFORMER_REFERENCE = { layers: 2, dModel: 64, heads: 4, context: 32, vocab: 32, batch: 32 };

export const transformerBenchDefaults = {
  seeds: [1, 16], // ensemble sizes
  minSeconds: 3, // timed seconds per row, after warm-up
  python: "/usr/bin/python3", // the interpreter with torch for --compare-torch
};

/** cpuShare: CPU seconds per wall second of the timed loop (below 1: the machine was busy). */
export interface TransformerBenchRow {
  seeds: number; modelStepsPerSec: number; tokensPerSec: number; gflops: number; cpuShare: number;
  torch?: { modelStepsPerSec: number; tokensPerSec: number; threads: number; cpuShare: number };
}

/** FLOPs of one model-step: the matmuls of the forward pass ×3 (forward and two backward products). */
export function transformerFlopsPerModelStep(): number {
  const { layers: L, dModel: d, context: T, vocab: V, batch: B } = TRANSFORMER_REFERENCE;
  const perToken = 2 * (V * d /* embedding (one-hot matmul) */ + L * (3 * d * d + d * d + 8 * d * d + 2 * T * d /* q·kᵀ and p·v */) + d * V);
  return 3 * B * T * perToken;
}

function referenceModel(): Transformer {
  const { layers, dModel, heads, context, vocab } = TRANSFORMER_REFERENCE;
  return new Transformer(transformerSchema.parse({ kind: "transformer", layers, dModel, heads, context }), { input: context, classes: vocab, envs: 1 });
}

/** Trains `seeds` reference transformers side by side for at least `minSeconds` after warm-up. */
export async function timeTransformer(seeds: number, minSeconds: number, o: { splitSeeds?: boolean } = {}): Promise<{ steps: number; seconds: number; cpuSeconds: number }> {
  await init("wasm");
  const { context: T, vocab: V, batch: B } = TRANSFORMER_REFERENCE;
  const model = referenceModel();
  if (o.splitSeeds !== undefined) model.splitSeeds = o.splitSeeds;
  const optim = trainSchema.parse({ optimizer: "adam", lr: 1e-3 });
  const loss = (p: Params, x: np.Array, y: np.Array) => { // Σ over seeds of each seed's mean next-token cross-entropy
    const logp = nn.logSoftmax(model.apply(p, x).logits, -1); // [S, B, T, V]
    return logp.mul(y).sum().neg().div(B * T);
  };
  const step = jit((p: Params, s: OptState<Params>, x: np.Array, y: np.Array, t: np.Array) => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), x, y);
    const [p2, s2] = update(optim, p, g, s, t);
    return [p2, s2, l];
  }) as unknown as (p: Params, s: OptState<Params>, x: np.Array, y: np.Array, t: np.Array) => [Params, OptState<Params>, np.Array];
  let params = model.init(0, Array.from({ length: seeds }, (_, i) => i));
  let opt = initOptState(optim, params);
  // Random sequences; the target is the next token (the last position predicts the first: any fixed target will do).
  const rng = new Rng(42), n = seeds * B * T;
  const x = new Float32Array(n), y = new Float32Array(n * V);
  for (let i = 0; i < n; i++) x[i] = rng.int(V);
  for (let i = 0; i < n; i++) y[i * V + x[i - (i % T) + ((i + 1) % T)]!] = 1;
  const X = np.array(x).reshape([seeds, B, T]), Y = np.array(y).reshape([seeds, B, T, V]);
  const run = (t: number) => {
    const [p, s, l] = step(params, opt, X.ref, Y.ref, np.array(t));
    [params, opt] = [p, s];
    l.dataSync(); // as in real runs: the loss is read every step
  };
  for (let t = 1; t <= 3; t++) run(t); // compile and warm up
  const t0 = performance.now(), c0 = process.cpuUsage();
  let steps = 0;
  while (steps < 5 || performance.now() - t0 < minSeconds * 1000) run(4 + steps++);
  const seconds = (performance.now() - t0) / 1000, c = process.cpuUsage(c0);
  tree.dispose([params, opt, X, Y]);
  return { steps, seconds, cpuSeconds: (c.user + c.system) / 1e6 };
}

export interface TorchRow { seeds: number; threads: number; modelStepsPerSec: number; tokensPerSec: number; seconds: number; cpuSeconds: number }

/** Runs bench/torch_transformer.py on the same seeds, one thread; { skipped: reason } when torch cannot run. */
export async function torchTransformer(seeds: number[], minSeconds: number, threads = 1): Promise<{ rows: TorchRow[] } | { skipped: string }> {
  const script = fileURLToPath(new URL("../../bench/torch_transformer.py", import.meta.url));
  const python = transformerBenchDefaults.python;
  if (!existsSync(python)) return { skipped: `${python} not found` };
  return new Promise((resolve) => {
    execFile(python, [script, "--seeds", seeds.join(","), "--seconds", String(minSeconds), "--threads", String(threads)], { timeout: 600_000, env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) } }, (err, stdout, stderr) => { // Debian's OpenBLAS ignores torch.set_num_threads
      if (err) return resolve({ skipped: `the torch script failed: ${(stderr || err.message).trim().split("\n").pop()}` });
      resolve({ rows: stdout.trim().split("\n").map((l) => JSON.parse(l) as TorchRow) });
    });
  });
}

/** The transformer bench on one thread, each ensemble size; with compareTorch, PyTorch's numbers (one thread) beside them. */
export async function benchTransformer(o: { seeds?: number[]; minSeconds?: number; compareTorch?: boolean; onRow?: (r: TransformerBenchRow) => void } = {}): Promise<{ rows: TransformerBenchRow[]; torchSkipped?: string }> {
  const seedsList = o.seeds ?? transformerBenchDefaults.seeds, minSeconds = o.minSeconds ?? transformerBenchDefaults.minSeconds;
  const { batch: B, context: T } = TRANSFORMER_REFERENCE;
  const rows: TransformerBenchRow[] = [];
  for (const seeds of seedsList) {
    const r = await timeTransformer(seeds, minSeconds);
    const msps = (r.steps * seeds) / r.seconds;
    rows.push({ seeds, modelStepsPerSec: round(msps), tokensPerSec: Math.round(msps * B * T), gflops: round((msps * transformerFlopsPerModelStep()) / 1e9), cpuShare: round(r.cpuSeconds / r.seconds) });
  }
  let torchSkipped: string | undefined;
  if (o.compareTorch) {
    const t = await torchTransformer(seedsList, minSeconds);
    if ("skipped" in t) torchSkipped = t.skipped;
    else for (const row of rows) {
      const m = t.rows.find((x) => x.seeds === row.seeds);
      if (m) row.torch = { modelStepsPerSec: round(m.modelStepsPerSec), tokensPerSec: Math.round(m.tokensPerSec), threads: m.threads, cpuShare: round(m.cpuSeconds / m.seconds) };
    }
  }
  for (const r of rows) o.onRow?.(r);
  return { rows, torchSkipped };
}

const round = (v: number) => Math.round(v * 10) / 10;

/** One row as the CLI prints it. */
export function showTransformerRow(r: TransformerBenchRow): string {
  const ours = `seeds ${String(r.seeds).padStart(3)}  ${r.modelStepsPerSec.toFixed(1).padStart(6)} model-steps/s  ${String(r.tokensPerSec).padStart(7)} tokens/s  ${r.gflops.toFixed(2).padStart(5)} GFLOP/s  (cpu ${r.cpuShare.toFixed(2)})`;
  if (!r.torch) return ours;
  return `${ours}   torch: ${r.torch.modelStepsPerSec.toFixed(1).padStart(6)} model-steps/s  ${String(r.torch.tokensPerSec).padStart(7)} tokens/s  (cpu ${r.torch.cpuShare.toFixed(2)})`;
}

/** The workload in words, for the CLI's header. */
export function describeTransformerWorkload(): string {
  const { layers, dModel, heads, context, vocab, batch } = TRANSFORMER_REFERENCE;
  return `transformer ${layers} layers, d_model ${dModel}, ${heads} heads, context ${context}, vocabulary ${vocab}, batch ${batch}, Adam, one thread; ${(transformerFlopsPerModelStep() / 1e6).toFixed(1)} MFLOP per model-step`;
}
