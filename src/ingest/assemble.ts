// Records → checkpoints. Each record fills one row of a checkpoint's per-seed outputs; a
// checkpoint is complete once every seed has a record for every (probe, cue) pair the manifest
// asks for, and is handed on, in step order, as the two arrays the metrics read. Only
// checkpoints still being filled are held: a complete one is handed on and dropped.
import type { Layout } from "./manifest.ts";
import { LogProblem, type ParsedRecord } from "./records.ts";

export interface Checkpoint {
  step: number;
  outputs: Float32Array; // [S, envs·N, C] each environment's own probes under its own cue
  cf: Float32Array; // [S, E·N, C] the counterfactual probes under every trained cue
}

export interface Location {
  file: string;
  line: number;
}

interface Filling extends Checkpoint {
  filled: Uint8Array; // [S, pairs] 1 once the record is in
  at: Int32Array; // [S, pairs] its line
  atFile: Uint16Array; // [S, pairs] its file
  count: number;
}

export class Assembler {
  private readonly filling = new Map<number, Filling>();
  private readonly done = new Set<number>(); // steps handed on (their records are no longer held)
  private readonly pairList: { probe: string; cue: string }[];
  private readonly P: number;
  private highest = -1; // the latest step handed on
  readonly S: number;

  constructor(
    private readonly layout: Layout,
    private readonly files: string[],
    private readonly checkpoints?: readonly number[], // the manifest's list, when it has one: they complete in this order
  ) {
    this.S = layout.seeds.length;
    this.P = layout.pairs.size;
    this.pairList = new Array(this.P);
    for (const [k, p] of layout.pairs) {
      const [probe, cue] = k.split("\u0000") as [string, string];
      this.pairList[p.index] = { probe, cue };
    }
  }

  /** Adds one record; a duplicate of an earlier one returns a warning (same answer) or throws (another answer). */
  add(r: ParsedRecord, file: number, line: number): string | undefined {
    const { S, P, layout } = this, C = layout.options.length;
    if (this.done.has(r.step)) return `duplicate: checkpoint ${r.step} was already complete (seed ${layout.seeds[r.seed]}, probe ${r.probe}, cue ${r.cue}); ignored`;
    if (r.step < this.highest) throw new LogProblem(`field "step": checkpoint ${this.highest} was complete and measured before this record of step ${r.step} arrived (checkpoints must complete in step order)`);
    let c = this.filling.get(r.step);
    if (!c) {
      const E = layout.trained.length, envs = layout.all.length, N = layout.N;
      c = {
        step: r.step, outputs: new Float32Array(S * envs * N * C), cf: new Float32Array(S * E * N * C),
        filled: new Uint8Array(S * P), at: new Int32Array(S * P), atFile: new Uint16Array(S * P), count: 0,
      };
      this.filling.set(r.step, c);
    }
    const cell = r.seed * P + r.pair.index;
    const E = layout.trained.length, envs = layout.all.length, N = layout.N;
    const cfAt = r.pair.cf >= 0 ? (r.seed * E * N + r.pair.cf) * C : -1;
    const ownAt = r.pair.own >= 0 ? (r.seed * envs * N + r.pair.own) * C : -1;
    if (c.filled[cell]) {
      const had = cfAt >= 0 ? c.cf.subarray(cfAt, cfAt + C) : c.outputs.subarray(ownAt, ownAt + C);
      const first = c.atFile[cell] === file ? `line ${c.at[cell]}` : `${this.files[c.atFile[cell]!]}:${c.at[cell]}`;
      const what = `seed ${layout.seeds[r.seed]}, step ${r.step}, probe ${r.probe}, cue ${r.cue}`;
      if (had.every((v, i) => v === r.dist[i])) return `duplicate record (${what}) of ${first}, same answer; counted once`;
      throw new LogProblem(`duplicate record (${what}) of ${first} with another answer: expected [${fmt(had)}] as there, found [${fmt(r.dist)}]`);
    }
    if (cfAt >= 0) c.cf.set(r.dist, cfAt);
    if (ownAt >= 0) c.outputs.set(r.dist, ownAt);
    c.filled[cell] = 1;
    c.at[cell] = line;
    c.atFile[cell] = file;
    c.count++;
    return undefined;
  }

  /** Complete checkpoints that nothing earlier holds back, in step order; each is handed out once and forgotten. */
  ready(): Checkpoint[] {
    const out: Checkpoint[] = [];
    for (;;) {
      const next = this.next();
      const c = next === undefined ? undefined : this.filling.get(next);
      if (!c || c.count < this.S * this.P) return out;
      this.filling.delete(c.step);
      this.done.add(c.step);
      this.highest = c.step;
      out.push({ step: c.step, outputs: c.outputs, cf: c.cf });
    }
  }

  /** The step that must complete next: the manifest's next checkpoint, else the earliest one being filled. */
  private next(): number | undefined {
    if (this.checkpoints) return this.checkpoints.find((t) => !this.done.has(t));
    let min: number | undefined;
    for (const t of this.filling.keys()) if (min === undefined || t < min) min = t;
    return min;
  }

  /** Checkpoints being filled, with what is missing, in words (for the error at the end of a log). */
  incomplete(): string[] {
    const { S, P, layout } = this;
    return [...this.filling.values()].filter((c) => c.count < S * P).sort((a, b) => a.step - b.step).map((c) => {
      const lines: string[] = [];
      for (let s = 0; s < S; s++) {
        const missing: number[] = [];
        for (let j = 0; j < P; j++) if (!c.filled[s * P + j]) missing.push(j);
        if (missing.length === 0) continue;
        const eg = missing.slice(0, 3).map((j) => `probe ${this.pairList[j]!.probe} under cue ${this.pairList[j]!.cue}`).join(", ");
        lines.push(missing.length === P ? `seed ${layout.seeds[s]} has no records` : `seed ${layout.seeds[s]}: ${missing.length} of ${P} records missing (e.g. ${eg})`);
      }
      return `checkpoint ${c.step}: expected ${P} records per seed (${this.expected()}), found ${c.count} of ${S * P}: ${lines.slice(0, 4).join("; ")}${lines.length > 4 ? `; and ${lines.length - 4} more seeds` : ""}`;
    });
  }

  /** The manifest's next checkpoint that never appeared, if one is holding back later ones. */
  missingCheckpoint(): number | undefined {
    const t = this.checkpoints?.find((x) => !this.done.has(x));
    return t !== undefined && !this.filling.has(t) ? t : undefined;
  }

  get pending(): number {
    return this.filling.size;
  }

  private expected(): string {
    const { layout } = this;
    const cf = layout.trained.length * layout.N, own = this.P - cf;
    return `${layout.N} counterfactual probes × ${layout.trained.length} trained cues` + (own > 0 ? ` + ${own} own-probe records` : "");
  }
}

const fmt = (a: ArrayLike<number>) => Array.from(a, (v) => +v.toPrecision(4)).join(", ");
