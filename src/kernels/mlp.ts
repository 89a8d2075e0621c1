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
  regions?: Record<string, number>; // named float arrays the host keeps in the kernel's memory (FusedMlp.region)
}

/**
 * One evaluation of every seed on `rows` rows shared by the seeds. Every array is a view into the
 * kernel's memory (FusedMlp.region), read or written in place.
 */
export interface EvalCall {
  rows: number; // R ≤ evalRows
  x: Float32Array; // [R, D]
  heads?: Float32Array; // [R, H] (H > 1)
  probs: Float32Array; // seed s's [R, C] at row s·probsRows: written, or read with `back`
  probsRows?: number; // default R
  hidden?: Float32Array[]; // per hidden layer, seed s's rows at row s·hiddenRows: written, or read with `back`
  hiddenRows?: number; // default: the rows kept
  block?: [number, number]; // of every block[0] rows, the first block[1] go to `hidden`, one after another (default: every row)
  y?: Float32Array; // [R, C] targets: the gradient of −Σ y·log p per seed into FusedMlp.grads
  back?: boolean; // no forward: probs and hidden (every row) hold an earlier forward of these rows at these weights
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
// The Eval struct of mlp.c: R, x, heads, probs, y, scratch, hidden[16], gw[16], gb[16], back, probsRows, hiddenRows, block, blockKeep.
const EVAL_SLOTS = 6 + 3 * MAXL + 5;
const E_HIDDEN = 6, E_BACK = 6 + 3 * MAXL;
export type LeafSet = "params" | "m" | "v" | "init" | "ref";

/** The ensemble in one Wasm instance. Leaves in the MLP's order: w0, b0, …, head w, head b; each [S, ...]. */
export class FusedMlp {
  readonly spec: FusedSpec;
  readonly shapes: number[][]; // per leaf, with the seed axis
  readonly batch: FusedBatch;
  readonly grads: Float32Array[]; // per leaf, shaped like the parameters: an evaluation's gradient (empty without evaluation)
  private readonly regions = new Map<string, Float32Array>();
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
    const R = spec.evalRows ?? 0;
    if (R > 0) {
      need("eval", EVAL_SLOTS);
      this.shapes.forEach((sh, i) => need(`egrad${i}`, sh.reduce((a, b) => a * b)));
      need("escratch", 2 * L * R * maxw + R * H * C + 3 * R * C + 2 * R * maxw + maxw * maxw + 64);
    }
    for (const [name, n] of Object.entries(spec.regions ?? {})) need(`region:${name}`, n);
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
    this.grads = R > 0 ? this.shapes.map((sh, i) => view(`egrad${i}`, sh.reduce((a, b) => a * b))) : [];
    for (const [name, n] of Object.entries(spec.regions ?? {})) this.regions.set(name, view(`region:${name}`, n));
    if (R > 0) {
      const e = new Int32Array(buf, ptrs.eval!, EVAL_SLOTS);
      e[5] = ptrs.escratch!;
      dims.forEach((_, l) => { e[6 + MAXL + l] = ptrs[`egrad${2 * l}`]!; e[6 + 2 * MAXL + l] = ptrs[`egrad${2 * l + 1}`]!; });
    }
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
    this.changes++;
    return this.out;
  }

  private changes = 0;
  /** Counts the parameters' changes (each step; changed()): an evaluation kept for reuse is valid while it stands. */
  get version(): number {
    return this.changes;
  }

  /** Says that the parameters were written from outside (through leaves("params")). */
  changed(): void {
    this.changes++;
  }

  /** Whether the spec asked for this region. */
  hasRegion(name: string): boolean {
    return this.regions.has(name);
  }

  /** A float array the spec asked for (spec.regions), a live view into the kernel's memory. */
  region(name: string): Float32Array {
    const r = this.regions.get(name);
    if (!r) throw new Error(`fused kernel: no region "${name}" (have ${[...this.regions.keys()].join(", ") || "none"})`);
    return r;
  }

  /** Evaluates every seed as `c` says (see EvalCall); the gradient, with c.y, goes to `grads`. */
  evaluate(c: EvalCall): void {
    const { S, input: D, classes: C, heads: H, widths } = this.spec, R = c.rows;
    const room = this.spec.evalRows ?? 0;
    if (!(Number.isInteger(R) && R >= 0 && R <= room)) throw new Error(`fused kernel: evaluation of ${R} rows, room for ${room}`);
    if (R === 0) return;
    const [block, blockKeep] = c.block ?? [R, R];
    if (!(Number.isInteger(block) && Number.isInteger(blockKeep) && block > 0 && blockKeep >= 0 && blockKeep <= block)) throw new Error(`fused kernel: evaluation block [${block}, ${blockKeep}]`);
    if (c.back && (c.block || !c.hidden)) throw new Error("fused kernel: a backward-only evaluation reads every row's activations (hidden, no block)");
    let kept = 0; // rows that go to hidden
    for (let r = 0; r < R; r += block) kept += Math.min(blockKeep, R - r);
    const probsRows = c.probsRows ?? R, hiddenRows = c.hiddenRows ?? kept;
    if (probsRows < R || hiddenRows < kept) throw new Error(`fused kernel: evaluation rows overlap (${R} rows in ${probsRows} per seed, ${kept} kept in ${hiddenRows})`);
    const mem = this.ex.memory.buffer;
    // Wasm writes no bounds check: every array must lie in the kernel's memory and hold what the kernel reads or writes
    const ptr = (name: string, a: Float32Array | undefined, n: number) => {
      if (!a) return 0;
      if (a.buffer !== mem || a.length < n) throw new Error(`fused kernel: evaluation ${name}: ${a.buffer !== mem ? "not a view into the kernel's memory" : `${a.length} floats, needs ${n}`}`);
      return a.byteOffset;
    };
    if (H > 1 && !c.heads) throw new Error("fused kernel: evaluation without head weights");
    const e = new Int32Array(mem, this.evalPtr, EVAL_SLOTS);
    e[0] = R;
    e[1] = ptr("x", c.x, R * D);
    e[2] = H > 1 ? ptr("heads", c.heads, R * H) : 0;
    e[3] = ptr("probs", c.probs, (S - 1) * probsRows * C + R * C);
    e[4] = ptr("y", c.y, R * C);
    if (c.hidden && c.hidden.length !== widths.length) throw new Error(`fused kernel: hidden for ${c.hidden.length} layers, the model has ${widths.length}`);
    widths.forEach((w, l) => { e[E_HIDDEN + l] = ptr(`hidden[${l}]`, c.hidden?.[l], ((S - 1) * hiddenRows + kept) * w); });
    e.set([c.back ? 1 : 0, probsRows, hiddenRows, block, blockKeep], E_BACK);
    this.ex.eval(this.cfg, this.evalPtr);
  }
}
