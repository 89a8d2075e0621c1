// Host side of the fused MLP training step (mlp.c, compiled to mlp.wasm by scripts/build-kernel.sh):
// one Wasm instance per shard holds the ensemble's parameters, optimiser state and one batch, and
// trains every seed of the shard in one call. Nothing here knows jax-js: src/train/fused.ts
// converts to and from the jitted path's arrays.
import { readFileSync } from "node:fs";

export interface FusedSpec {
  S: number; // seeds
  B: number; // batch
  input: number; // D
  classes: number; // C
  heads: number; // H output heads (one-hot or uniform per example)
  widths: number[]; // hidden widths (bottleneck last if any)
  relu: boolean[]; // per hidden layer
  l1: number; // activation-sparsity penalty coefficient
  dropout: boolean; // masks arrive with every batch
  optimizer: "sgd" | "momentum" | "adam";
  lr: number;
  momentum: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  l2Init: number;
  objectives: { sft?: boolean; reward?: boolean; preference?: boolean };
  evalRows?: number; // most rows one evaluation reads (0 or absent: no evaluation)
  hiddenRows?: number; // most rows whose hidden activations an evaluation returns
}

/** An evaluation's inputs and outputs, views into the kernel's memory (see FusedMlp.evaluate). */
export interface FusedEval {
  x: Float32Array; // [R, D] rows shared by the seeds
  heads?: Float32Array; // [R, H]
  y: Float32Array; // [R, C] targets of the gradient
  probs: Float32Array; // [S, R, C]
  hidden: Float32Array[]; // per hidden layer [S, hiddenRows, width]
  grads: Float32Array[]; // per leaf, shaped like the parameters
}

/** One batch's tensors, views into the kernel's memory: write them before each step. */
export interface FusedBatch {
  x: Float32Array; // [S, B, D]
  heads?: Float32Array; // [B, H]
  drop: (Float32Array | undefined)[]; // per hidden layer [S, B, width] (ReLU layers with dropout)
  sft?: { mask: Float32Array; target: Float32Array }; // [B], [S, B, C]
  reward?: { mask: Float32Array; rewards: Float32Array; gumbel: Float32Array; useBaseline: Float32Array };
  preference?: { mask: Float32Array; chosen: Float32Array; rejected: Float32Array; beta: Float32Array };
}

const MAXL = 16;
// The Cfg struct of mlp.c, slot by slot (32-bit each); arrays as [name, length].
const FIELDS: [string, number][] = [
  ["S", 1], ["B", 1], ["D", 1], ["C", 1], ["H", 1], ["L", 1], ["opt", 1], ["mode", 1],
  ["lr", 1], ["b1", 1], ["b2", 1], ["eps", 1], ["wd", 1], ["l2", 1], ["l1", 1], ["bc1", 1], ["bc2", 1],
  ["keep", 1], ["pull", 1], ["clip", 1], ["width", MAXL], ["relu", MAXL], ["w", MAXL], ["b", MAXL], ["mw", MAXL], ["mb", MAXL], ["vw", MAXL], ["vb", MAXL],
  ["iw", MAXL], ["ib", MAXL], ["rw", MAXL], ["rb", MAXL], ["x", 1], ["heads", 1], ["drop", MAXL],
  ["sftMask", 1], ["sftTarget", 1], ["rwMask", 1], ["rwRewards", 1], ["rwGumbel", 1], ["rwUse", 1],
  ["prMask", 1], ["prChosen", 1], ["prRejected", 1], ["prBeta", 1], ["out", 1], ["scratch", 1],
];
const SLOT: Record<string, number> = {};
let CFG_SLOTS = 0;
for (const [name, n] of FIELDS) { SLOT[name] = CFG_SLOTS; CFG_SLOTS += n; }
const FLOATS = new Set(["lr", "b1", "b2", "eps", "wd", "l2", "l1", "bc1", "bc2", "keep", "pull", "clip"]);

let compiled: WebAssembly.Module | undefined; // once per thread
/** Replaces the compiled kernel (benchmarks of another build). */
export function setModule(m: WebAssembly.Module): void {
  compiled = m;
}
function module(): WebAssembly.Module {
  return (compiled ??= new WebAssembly.Module(readFileSync(new URL("./mlp.wasm", import.meta.url))));
}

type Exports = { memory: WebAssembly.Memory; alloc(n: number): number; step(cfg: number): void; eval(cfg: number, e: number): void };
// The Eval struct of mlp.c.
const EVAL_SLOTS = 6 + 3 * MAXL; // R, x, heads, probs, y, scratch, hidden[16], gw[16], gb[16]
export type LeafSet = "params" | "m" | "v" | "init" | "ref";

/** The ensemble in one Wasm instance. Leaves in the MLP's order: w0, b0, …, head w, head b; each [S, ...]. */
export class FusedMlp {
  readonly spec: FusedSpec;
  readonly shapes: number[][]; // per leaf, with the seed axis
  readonly batch: FusedBatch;
  readonly evalIo: FusedEval | undefined;
  private readonly evalPtr: number;
  private readonly ex: Exports;
  private readonly cfg: number;
  private readonly sets = new Map<LeafSet, Float32Array[]>();
  private readonly out: Float32Array; // [S, B] losses
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;

  constructor(spec: FusedSpec) {
    this.spec = spec;
    const { S, B, input: D, classes: C, heads: H, widths } = spec;
    const L = widths.length + 1;
    if (L > MAXL) throw new Error(`fused kernel: at most ${MAXL - 1} hidden layers (got ${widths.length})`);
    this.ex = new WebAssembly.Instance(module(), {}).exports as unknown as Exports;
    const dims: [number, number][] = [];
    let fan = D;
    for (const w of widths) { dims.push([fan, w]); fan = w; }
    dims.push([fan, H * C]);
    this.shapes = dims.flatMap(([i, o]) => [[S, i, o], [S, 1, o]]);
    const maxw = Math.max(D, ...dims.map(([, o]) => o));
    // Allocate everything first: growing the memory would detach the views below.
    const ptrs: Record<string, number> = {};
    const need = (name: string, n: number) => {
      const p = this.ex.alloc(n);
      if (!p) throw new Error(`fused kernel: out of memory allocating ${name} (${n} floats)`);
      ptrs[name] = p;
    };
    need("cfg", CFG_SLOTS);
    const opt = spec.optimizer, sets: LeafSet[] = ["params"];
    if (opt !== "sgd") sets.push("m");
    if (opt === "adam") sets.push("v");
    if (spec.l2Init > 0) sets.push("init");
    if (spec.objectives.preference) sets.push("ref");
    for (const set of sets) this.shapes.forEach((sh, i) => need(`${set}${i}`, sh.reduce((a, b) => a * b)));
    need("x", S * B * D);
    if (H > 1) need("heads", B * H);
    if (spec.dropout) widths.forEach((w, l) => { if (spec.relu[l]) need(`drop${l}`, S * B * w); });
    const o = spec.objectives;
    if (o.sft) { need("sftMask", B); need("sftTarget", S * B * C); }
    if (o.reward) { need("rwMask", B); need("rwRewards", S * B * C); need("rwGumbel", S * B * C); need("rwUse", B); }
    if (o.preference) { need("prMask", B); need("prChosen", S * B * C); need("prRejected", S * B * C); need("prBeta", B); }
    need("out", S * B);
    const R = spec.evalRows ?? 0, RH = Math.min(R, spec.hiddenRows ?? 0);
    if (R > 0) {
      need("eval", EVAL_SLOTS);
      need("ex", R * D); need("eheads", R * H); need("ey", R * C); need("eprobs", S * R * C);
      widths.forEach((w, l) => { if (RH > 0) need(`ehidden${l}`, S * RH * w); });
      this.shapes.forEach((sh, i) => need(`egrad${i}`, sh.reduce((a, b) => a * b)));
      need("escratch", 2 * L * R * maxw + R * H * C + 3 * R * C + 2 * R * maxw + maxw * maxw + 64);
    }
    const perSeed = this.shapes.reduce((n, sh) => n + sh[1]! * sh[2]!, 0);
    need("scratch", 2 * L * B * maxw + B * H * C + 4 * B * C + 2 * B * maxw + 2 * maxw * maxw + maxw + perSeed + 64);

    const buf = this.ex.memory.buffer;
    const view = (name: string, n: number) => new Float32Array(buf, ptrs[name]!, n);
    this.i32 = new Int32Array(buf, ptrs.cfg!, CFG_SLOTS);
    this.f32 = new Float32Array(buf, ptrs.cfg!, CFG_SLOTS);
    for (const set of sets) this.sets.set(set, this.shapes.map((sh, i) => view(`${set}${i}`, sh.reduce((a, b) => a * b))));
    this.out = view("out", S * B);
    this.batch = {
      x: view("x", S * B * D),
      heads: H > 1 ? view("heads", B * H) : undefined,
      drop: widths.map((w, l) => (ptrs[`drop${l}`] ? view(`drop${l}`, S * B * w) : undefined)),
      sft: o.sft ? { mask: view("sftMask", B), target: view("sftTarget", S * B * C) } : undefined,
      reward: o.reward ? { mask: view("rwMask", B), rewards: view("rwRewards", S * B * C), gumbel: view("rwGumbel", S * B * C), useBaseline: view("rwUse", B) } : undefined,
      preference: o.preference ? { mask: view("prMask", B), chosen: view("prChosen", S * B * C), rejected: view("prRejected", S * B * C), beta: view("prBeta", B) } : undefined,
    };

    this.evalPtr = ptrs.eval ?? 0;
    this.evalIo = R > 0 ? {
      x: view("ex", R * D), heads: H > 1 ? view("eheads", R * H) : undefined, y: view("ey", R * C), probs: view("eprobs", S * R * C),
      hidden: RH > 0 ? widths.map((w, l) => view(`ehidden${l}`, S * RH * w)) : [],
      grads: this.shapes.map((sh, i) => view(`egrad${i}`, sh.reduce((a, b) => a * b))),
    } : undefined;
    if (R > 0) {
      const e = new Int32Array(buf, ptrs.eval!, EVAL_SLOTS);
      e.set([R, ptrs.ex!, H > 1 ? ptrs.eheads! : 0, ptrs.eprobs!, 0, ptrs.escratch!]);
      widths.forEach((_, l) => { e[6 + l] = RH > 0 ? ptrs[`ehidden${l}`]! : 0; });
      dims.forEach((_, l) => { e[6 + MAXL + l] = ptrs[`egrad${2 * l}`]!; e[6 + 2 * MAXL + l] = ptrs[`egrad${2 * l + 1}`]!; });
    }
    this.evalMeta = [ptrs.ey ?? 0, RH];
    const set = (name: string, v: number, k = 0) => { if (FLOATS.has(name)) this.f32[SLOT[name]! + k] = v; else this.i32[SLOT[name]! + k] = v; };
    set("S", S); set("B", B); set("D", D); set("C", C); set("H", H); set("L", L);
    set("opt", ({ sgd: 0, momentum: 1, adam: 2 } as const)[opt]);
    set("lr", spec.lr); set("b1", spec.momentum); set("b2", spec.beta2); set("eps", spec.eps);
    set("wd", spec.weightDecay); set("l2", spec.l2Init); set("l1", spec.l1);
    dims.forEach(([, out], l) => { set("width", out, l); set("relu", l < widths.length && spec.relu[l] ? 1 : 0, l); });
    const slotOf: Record<LeafSet, [string, string]> = { params: ["w", "b"], m: ["mw", "mb"], v: ["vw", "vb"], init: ["iw", "ib"], ref: ["rw", "rb"] };
    for (const s of sets) dims.forEach((_, l) => { set(slotOf[s][0], ptrs[`${s}${2 * l}`]!, l); set(slotOf[s][1], ptrs[`${s}${2 * l + 1}`]!, l); });
    for (const name of ["x", "heads", "sftMask", "sftTarget", "rwMask", "rwRewards", "rwGumbel", "rwUse", "prMask", "prChosen", "prRejected", "prBeta", "out", "scratch"])
      if (ptrs[name]) set(name, ptrs[name]!);
    widths.forEach((_, l) => { if (ptrs[`drop${l}`]) set("drop", ptrs[`drop${l}`]!, l); });
    this.cfg = ptrs.cfg!;
  }

  /** The leaves of a set (parameters, moments, initial weights, reference policy), live views. */
  leaves(set: LeafSet): Float32Array[] | undefined {
    return this.sets.get(set);
  }

  /** Copies the parameters into the reference policy (start of a phase). */
  snapshotRef(): void {
    const ref = this.sets.get("ref");
    if (!ref) throw new Error("fused kernel: no reference policy (no preference objective)");
    this.sets.get("params")!.forEach((p, i) => ref[i]!.set(p));
  }

  /**
   * Trains every seed one step on `batch` as written; t is the 1-based step count, `lr` this step's
   * learning rate and `clip` its global-norm threshold per seed (0: none). → per-example loss [S, B],
   * a view valid until the next call.
   */
  step(t: number, lr = this.spec.lr, clip = 0): Float32Array {
    const f = Math.fround, { weightDecay: wd, l2Init } = this.spec;
    this.f32[SLOT.lr!] = lr;
    this.f32[SLOT.keep!] = 1 - lr * wd; // rounded once from float64, as the jitted update's constant is
    this.f32[SLOT.pull!] = lr * l2Init;
    this.f32[SLOT.clip!] = clip;
    this.f32[SLOT.bc1!] = f(1 - f(Math.pow(f(this.spec.momentum), t)));
    this.f32[SLOT.bc2!] = f(1 - f(Math.pow(f(this.spec.beta2), t)));
    this.ex.step(this.cfg);
    return this.out;
  }

  private readonly evalMeta: [number, number]; // pointer of y, rows with room for hidden activations

  /**
   * Evaluates every seed on the first `rows` rows of evalIo.x (heads in evalIo.heads): probabilities
   * into evalIo.probs [S, rows, C]; with `hidden`, the hidden activations of the first rows into
   * evalIo.hidden ([S, rows, width], rows ≤ hiddenRows); with `grad`, the gradient of the summed
   * cross-entropy toward evalIo.y into evalIo.grads. The outputs are views: copy what you keep.
   */
  evaluate(rows: number, o: { hidden?: boolean; grad?: boolean } = {}): FusedEval {
    const io = this.evalIo;
    if (!io || rows > io.x.length / this.spec.input) throw new Error(`fused kernel: evaluation of ${rows} rows, room for ${io ? io.x.length / this.spec.input : 0}`);
    if (o.hidden && rows > this.evalMeta[1]) throw new Error(`fused kernel: hidden activations of ${rows} rows, room for ${this.evalMeta[1]}`);
    const e = new Int32Array(this.ex.memory.buffer, this.evalPtr, EVAL_SLOTS);
    e[0] = rows;
    e[4] = o.grad ? this.evalMeta[0] : 0;
    const saved = e.slice(6, 6 + MAXL);
    if (!o.hidden) e.fill(0, 6, 6 + MAXL);
    this.ex.eval(this.cfg, this.evalPtr);
    e.set(saved, 6);
    return io;
  }
}
