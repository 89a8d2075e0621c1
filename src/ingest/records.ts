// One record line of a probe log, JSONL or CSV, checked against the manifest and turned into a
// distribution over the answer options, the form the lab's metrics read:
//   answer     → one-hot on the chosen option;
//   logprobs   → softmax-normalised (taken as they are when they already sum to 1 within 1e-4,
//                so a model's own log-probabilities come back bit for bit as float32);
//   agreement  → (free text) per reference j its agreement a_j ∈ [0, 1]; with A = Σ a_j:
//                p_j = a_j and p_other = 1 − A when A ≤ 1, else p_j = a_j / A and p_other = 0.
// A problem throws LogProblem naming the field, what was expected and what was found; the reader
// adds the file and line.
import { nearest } from "../util/errors.ts";
import type { Manifest } from "./format.ts";
import { pairKey, type Layout } from "./manifest.ts";

export class LogProblem extends Error {}

/** A record as the metrics need it: which seed, checkpoint and row, and the distribution over the C options. */
export interface ParsedRecord {
  seed: number; // index into layout.seeds
  step: number;
  probe: string;
  cue: string;
  pair: { index: number; cf: number; own: number };
  dist: Float32Array; // [C], reused by the next parse: copy it to keep it
}

/** The fields of a record before its answer is turned into a distribution. */
interface Raw {
  seed: unknown;
  step: unknown;
  probe: unknown;
  cue: unknown;
  answer?: unknown;
  logprobs?: unknown;
  agreement?: unknown;
}

const FIELDS = ["seed", "step", "probe", "cue", "answer", "logprobs", "agreement"];
export const normalisedWithin = 1e-4; // log-probabilities whose exponentials sum to 1 this closely are used as they are

/** Parses records of one manifest; one instance per file (a CSV file's header is per file). */
export class RecordParser {
  private readonly dist: Float32Array;
  private readonly seedIndex: Map<string, number>;
  private readonly checkpoints: Set<number> | undefined;
  private csv: { columns: string[]; value: (cells: string[]) => Partial<Raw> } | undefined;
  private readonly texts = new Map<string, Map<string, number>>(); // free text: per probe, reference text → option index
  readonly format: "jsonl" | "csv";

  constructor(private readonly layout: Layout, private readonly m: Manifest, file: string) {
    this.dist = new Float32Array(layout.options.length);
    this.seedIndex = new Map(layout.seeds.map((s, i) => [s, i]));
    this.checkpoints = m.checkpoints && new Set(m.checkpoints);
    this.format = /\.csv(\.gz)?$/i.test(file) ? "csv" : "jsonl";
    if (layout.freeText)
      for (const p of m.probes) this.texts.set(p.id, new Map(Object.entries(p.references).map(([env, text]) => [text, layout.refSlots.get(p.id)!.get(env)!])));
  }

  /** The record on `text`, or undefined for a line that holds none (blank, or a CSV header). */
  parse(text: string): ParsedRecord | undefined {
    if (text.trim() === "") return undefined;
    if (this.format === "csv") {
      if (!this.csv) return void this.header(text);
      return this.record(this.csvRaw(text));
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new LogProblem(`malformed JSON (a truncated line?): ${(e as Error).message}`);
    }
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new LogProblem(`expected a JSON object, found ${preview(text)}`);
    for (const k of Object.keys(raw)) if (!FIELDS.includes(k)) throw new LogProblem(`unknown field ${JSON.stringify(k)}` + hint(k, FIELDS));
    return this.record(raw as Raw);
  }

  private record(r: Raw): ParsedRecord {
    const { layout } = this;
    for (const k of ["seed", "step", "probe", "cue"] as const) if (r[k] === undefined || r[k] === null || r[k] === "") throw new LogProblem(`field "${k}": missing`);
    const seed = this.seedIndex.get(String(r.seed));
    if (seed === undefined || (typeof r.seed !== "number" && typeof r.seed !== "string"))
      throw new LogProblem(`field "seed": expected one of the manifest's seeds (${list(layout.seeds)}), found ${JSON.stringify(r.seed)}`);
    const step = typeof r.step === "string" && this.format === "csv" ? Number(r.step) : r.step;
    if (typeof step !== "number" || !Number.isInteger(step) || step < 0) throw new LogProblem(`field "step": expected a whole number of steps ≥ 0, found ${JSON.stringify(r.step)}`);
    if (step > this.m.schedule.steps) throw new LogProblem(`field "step": expected at most schedule.steps = ${this.m.schedule.steps}, found ${step}`);
    if (this.checkpoints && !this.checkpoints.has(step)) throw new LogProblem(`field "step": expected one of the manifest's checkpoints (${list(this.m.checkpoints!.map(String))}), found ${step}`);
    const probe = String(r.probe), cue = String(r.cue);
    if (!layout.all.includes(cue)) throw new LogProblem(`field "cue": unknown cue ${JSON.stringify(r.cue)} (expected one of the manifest's environments: ${layout.all.join(", ")})` + hint(cue, layout.all));
    const pair = layout.pairs.get(pairKey(probe, cue));
    if (!pair) {
      const anywhere = layout.cfIds.includes(probe) || layout.ownIds.some((ids) => ids.includes(probe));
      if (anywhere) throw new LogProblem(`probe ${JSON.stringify(probe)} is not probed under cue ${cue}: it is neither a counterfactual probe nor one of ${cue}'s own probes`);
      const ids = [...new Set([...layout.cfIds, ...layout.ownIds.flat()])];
      throw new LogProblem(`field "probe": unknown probe ${JSON.stringify(r.probe)} (expected one of the manifest's ${ids.length} probe ids, e.g. ${list(ids, 3)})` + hint(probe, ids));
    }
    this.distribution(r, probe);
    return { seed, step, probe, cue, pair, dist: this.dist };
  }

  /** Fills this.dist from whichever of answer, logprobs, agreement the record has (exactly one). */
  private distribution(r: Raw, probe: string): void {
    const given = (["answer", "logprobs", "agreement"] as const).filter((k) => r[k] !== undefined && r[k] !== "");
    if (given.length !== 1) throw new LogProblem(given.length === 0 ? `expected one of the fields "answer", "logprobs" or "agreement", found none` : `expected one of the fields "answer", "logprobs" or "agreement", found ${given.map((g) => `"${g}"`).join(" and ")}`);
    const { layout } = this, d = this.dist, C = d.length;
    d.fill(0);
    if (given[0] === "answer") {
      const a = r.answer;
      let k: number | undefined;
      if (layout.freeText) {
        if (typeof a !== "string") throw new LogProblem(`field "answer": expected a text (free-text options), found ${JSON.stringify(a)}`);
        k = this.texts.get(probe)!.get(a) ?? C - 1; // a text matching no reference is "other"
      } else if (typeof a === "number" && Number.isInteger(a) && a >= 0 && a < C) k = a;
      else if (typeof a === "string") k = layout.optionIndex.get(a);
      if (k === undefined) throw new LogProblem(`field "answer": expected one of the options ${list(layout.options)} (or an index 0–${C - 1}), found ${JSON.stringify(a)}` + (typeof a === "string" ? hint(a, layout.options) : ""));
      d[k] = 1;
      return;
    }
    if (given[0] === "logprobs") {
      if (layout.freeText) throw new LogProblem(`field "logprobs": free-text options are graded by "agreement", not scored by log-probability`);
      const lp = r.logprobs;
      const values: (number | null)[] = Array.isArray(lp) ? lp : lp && typeof lp === "object" ? byOption(lp as Record<string, unknown>, layout.options) : [];
      if (!Array.isArray(lp) && !(lp && typeof lp === "object")) throw new LogProblem(`field "logprobs": expected an array of ${C} numbers or an object option → number, found ${JSON.stringify(lp)}`);
      if (values.length !== C) throw new LogProblem(`field "logprobs": expected ${C} values (options ${list(layout.options)}), found ${values.length}`);
      let max = -Infinity;
      values.forEach((v, i) => {
        if (v !== null && (typeof v !== "number" || Number.isNaN(v) || v === Infinity)) throw new LogProblem(`field "logprobs": value ${i} (option ${layout.options[i]}): expected a number or null (−∞), found ${JSON.stringify(v)}`);
        if (v !== null && v > max) max = v;
      });
      if (max === -Infinity) throw new LogProblem(`field "logprobs": every value is −∞ (null): no option has any probability`);
      let sum = 0;
      for (const v of values) if (v !== null) sum += Math.exp(v - max);
      const lse = max + Math.log(sum);
      const shift = Math.abs(lse) <= normalisedWithin ? 0 : lse;
      values.forEach((v, i) => (d[i] = v === null ? 0 : Math.exp(v - shift)));
      return;
    }
    if (!layout.freeText) throw new LogProblem(`field "agreement": only for free-text logs (options: "free-text"); this log has options ${list(layout.options)}`);
    const ag = r.agreement;
    if (!ag || typeof ag !== "object" || Array.isArray(ag)) throw new LogProblem(`field "agreement": expected an object environment → agreement in [0, 1], found ${JSON.stringify(ag)}`);
    const slots = layout.refSlots.get(probe)!;
    let total = 0;
    for (const [env, v] of Object.entries(ag as Record<string, unknown>)) {
      const j = slots.get(env);
      if (j === undefined) throw new LogProblem(`field "agreement": ${layout.all.includes(env) ? `environment ${env} has no reference for probe ${JSON.stringify(probe)}` : `unknown environment ${JSON.stringify(env)}` + hint(env, layout.all)} (expected some of ${[...slots.keys()].join(", ")})`);
      if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new LogProblem(`field "agreement": ${env}: expected a number in [0, 1], found ${JSON.stringify(v)}`);
      if (v > d[j]!) { total += v - d[j]!; d[j] = v; } // environments sharing a reference text share its slot: the higher agreement counts
    }
    if (total > 1) for (let j = 0; j < C - 1; j++) d[j] = d[j]! / total;
    else d[C - 1] = 1 - total;
  }

  private header(text: string): void {
    const columns = splitCsv(text.replace(/^\uFEFF/, "")).map((c) => c.trim());
    const { layout } = this;
    for (const k of ["seed", "step", "probe", "cue"]) if (!columns.includes(k)) throw new LogProblem(`CSV header: expected a column "${k}", found ${columns.join(",")}`);
    const lp = new Map<number, number>(), ag = new Map<number, string>();
    let answer = -1;
    columns.forEach((c, i) => {
      if (["seed", "step", "probe", "cue"].includes(c)) return;
      if (c === "answer") answer = i;
      else if (c.startsWith("logprob:") && layout.optionIndex.has(c.slice(8))) lp.set(i, layout.optionIndex.get(c.slice(8))!);
      else if (c.startsWith("agreement:") && layout.all.includes(c.slice(10))) ag.set(i, c.slice(10));
      else {
        const valid = ["answer", ...layout.options.map((o) => `logprob:${o}`), ...layout.all.map((e) => `agreement:${e}`)];
        throw new LogProblem(`CSV header: unknown column ${JSON.stringify(c)}` + hint(c, valid) + ` (expected seed, step, probe, cue, then answer, logprob:<option> for every option, or agreement:<environment>)`);
      }
    });
    if (lp.size > 0 && lp.size !== layout.options.length)
      throw new LogProblem(`CSV header: expected a logprob column for every option (${layout.options.map((o) => `logprob:${o}`).join(", ")}), found ${lp.size}`);
    const num = (s: string) => (/^-inf(inity)?$/i.test(s.trim()) ? null : s.trim() === "" ? NaN : Number(s));
    this.csv = {
      columns,
      value: (cells) => {
        const out: Partial<Raw> = {};
        if (answer >= 0 && cells[answer] !== "") out.answer = cells[answer];
        if (lp.size > 0 && [...lp.keys()].some((i) => cells[i] !== "")) {
          const v = new Array<number | null>(layout.options.length);
          for (const [i, k] of lp) v[k] = num(cells[i]!);
          out.logprobs = v;
        }
        if (ag.size > 0) {
          const a: Record<string, number> = {};
          for (const [i, env] of ag) if (cells[i] !== "") a[env] = Number(cells[i]);
          if (Object.keys(a).length > 0) out.agreement = a;
        }
        return out;
      },
    };
  }

  private csvRaw(text: string): Raw {
    const { columns, value } = this.csv!;
    const cells = splitCsv(text);
    if (cells.length !== columns.length) throw new LogProblem(`expected ${columns.length} CSV fields (as the header), found ${cells.length}`);
    const at = (k: string) => cells[columns.indexOf(k)];
    return { seed: at("seed"), step: at("step"), probe: at("probe"), cue: at("cue"), ...value(cells) };
  }
}

function byOption(o: Record<string, unknown>, options: string[]): (number | null)[] {
  for (const k of Object.keys(o)) if (!options.includes(k)) throw new LogProblem(`field "logprobs": unknown option ${JSON.stringify(k)} (expected ${list(options)})` + hint(k, options));
  const missing = options.filter((k) => !(k in o));
  if (missing.length) throw new LogProblem(`field "logprobs": expected a value for every option, missing ${missing.join(", ")} (null for −∞)`);
  return options.map((k) => o[k] as number | null);
}

/** One CSV line's fields (RFC 4180 quoting; no line breaks inside a field). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new LogProblem(`unterminated quoted CSV field (a truncated line?)`);
        field += line.slice(i, q);
        if (line[q + 1] === '"') { field += '"'; i = q + 2; } else { i = q + 1; break; }
      }
      if (i < line.length && line[i] !== ",") throw new LogProblem(`unexpected text after a quoted CSV field at column ${i + 1}`);
    } else {
      const c = line.indexOf(",", i);
      field = c < 0 ? line.slice(i) : line.slice(i, c);
      i = c < 0 ? line.length : c;
    }
    out.push(field.replace(/\r$/, ""));
    if (i >= line.length) return out;
    i++; // the comma
  }
}

const list = (xs: readonly string[], n = 8) => (xs.length <= n ? xs.join(", ") : `${xs.slice(0, n).join(", ")}, … (${xs.length} in all)`);
const hint = (got: string, valid: readonly string[]) => { const near = nearest(got, valid); return near ? ` (did you mean "${near}"?)` : ""; };
const preview = (s: string) => (s.length > 40 ? JSON.stringify(s.slice(0, 40)) + "…" : JSON.stringify(s));
