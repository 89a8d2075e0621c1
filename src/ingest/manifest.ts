// Reading a probe-log manifest: parse, validate (every problem named with where it is, what was
// expected and what was found), and lay it out as the lab's probe sets: which probe under which
// cue fills which row of the per-seed outputs [S, envs·N, C] and counterfactual outputs [S, E·N, C].
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { formatIssues } from "../experiment/errors.ts";
import { why } from "../experiment/load.ts";
import { nearest, specError } from "../util/errors.ts";
import { FORMAT, manifestSchema, type Manifest } from "./format.ts";

/** Where each record goes, and the labels the metrics score against. */
export interface Layout {
  options: string[]; // option labels, C of them (free text: "reference 1" … and "other")
  freeText: boolean;
  trained: string[]; // E trained environments, manifest order
  all: string[]; // trained, then novel
  N: number; // probes per set
  cfIds: string[]; // [N] the counterfactual probes
  ownIds: string[][]; // [envs][N] each environment's own probe set
  labels: Int32Array; // [envs, N] each environment's reference on its own probes (an option index)
  cfLabels: Int32Array; // [E, N] each trained environment's reference on the counterfactual probes
  seeds: string[]; // seed ids as records give them; the stored seed is the index
  /** (probe, cue) → its rows: in the counterfactual outputs (e·N + i) and in the own-probe outputs (e·N + i), −1 where none. */
  pairs: Map<string, { index: number; cf: number; own: number }>;
  /** Free text: per probe, environment name → the option index of its reference (shared texts share one). */
  refSlots: Map<string, Map<string, number>>;
  optionIndex: Map<string, number>; // option label → index (multiple choice)
}

export const pairKey = (probe: string, cue: string) => `${probe}\u0000${cue}`;

export interface LoadedManifest {
  path: string; // absolute
  manifest: Manifest;
  layout: Layout;
  records: string[]; // absolute paths of the record files
  trainerState?: string; // absolute path
  hash: string; // identity of this manifest at this path: an interrupted ingest of the same hash is resumed
}

/** Reads and validates the manifest at `path`; throws E_SPEC naming the file and every problem. */
export function loadManifest(path: string): LoadedManifest {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (e) {
    throw specError(`cannot read probe-log manifest ${path}: ${why(e)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw specError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  const fmt = (doc as { format?: unknown } | null)?.format;
  if (doc && typeof doc === "object" && fmt !== FORMAT)
    throw specError(`${path}: format: expected "${FORMAT}", found ${JSON.stringify(fmt)}` + (typeof fmt === "string" && fmt.startsWith("ecotone-probe-log/") ? " (a newer version? upgrade ecotone)" : ""));
  const r = manifestSchema.safeParse(doc);
  if (!r.success) throw specError(`${path}: invalid probe-log manifest\n  ` + formatIssues(manifestSchema, r.error.issues, doc).join("\n  "));
  const manifest = r.data;
  const layout = makeLayout(manifest, path);
  const dir = dirname(abs);
  const records = (Array.isArray(manifest.records) ? manifest.records : [manifest.records]).map((f) => resolve(dir, f));
  const dup = records.find((f, i) => records.indexOf(f) !== i);
  if (dup) throw specError(`${path}: records: ${dup} is listed twice`);
  const hash = createHash("sha256").update(canonical(manifest)).update("\0").update(abs).digest("hex").slice(0, 16);
  return { path: abs, manifest, layout, records, ...(manifest.trainerState && { trainerState: resolve(dir, manifest.trainerState) }), hash };
}

function makeLayout(m: Manifest, path: string): Layout {
  const bad = (what: string) => specError(`${path}: ${what}`);
  const names = m.environments.map((e) => e.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw bad(`environments: the name ${twice} is used twice`);
  const trained = m.environments.filter((e) => !e.novel).map((e) => e.name);
  const novel = m.environments.filter((e) => e.novel).map((e) => e.name);
  if (trained.length === 0) throw bad("environments: every environment is novel; at least one must be trained");
  const all = [...trained, ...novel];
  const envNamed = (n: string, where: string) => {
    if (names.includes(n)) return;
    const near = nearest(n, names);
    throw bad(`${where}: unknown environment ${JSON.stringify(n)} (expected one of ${names.join(", ")})` + (near ? ` (did you mean "${near}"?)` : ""));
  };

  const freeText = m.options === "free-text";
  const options = freeText ? [] : (m.options as string[]);
  const optionIndex = new Map(options.map((o, i) => [o, i]));
  if (optionIndex.size !== options.length) throw bad(`options: ${options.find((o, i) => options.indexOf(o) !== i)} is listed twice`);

  const probes = new Map<string, Record<string, string>>();
  const refSlots = new Map<string, Map<string, number>>();
  let slots = 0;
  m.probes.forEach((p, k) => {
    if (probes.has(p.id)) throw bad(`probes[${k}]: the id ${JSON.stringify(p.id)} is used twice`);
    for (const [env, ref] of Object.entries(p.references)) {
      envNamed(env, `probes[${k}] (${JSON.stringify(p.id)}).references`);
      if (!freeText && !optionIndex.has(ref))
        throw bad(`probes[${k}] (${JSON.stringify(p.id)}).references.${env}: expected one of the options ${options.join(", ")}, found ${JSON.stringify(ref)}`);
    }
    probes.set(p.id, p.references);
    if (freeText) {
      // distinct reference texts in environment order: each one an option of this probe
      const texts: string[] = [], slot = new Map<string, number>();
      for (const env of all) {
        const ref = p.references[env];
        if (ref === undefined) continue;
        if (!texts.includes(ref)) texts.push(ref);
        slot.set(env, texts.indexOf(ref));
      }
      refSlots.set(p.id, slot);
      slots = Math.max(slots, texts.length);
    }
  });
  if (freeText) options.push(...Array.from({ length: slots }, (_, j) => `reference ${j + 1}`), "other");
  const refOf = (id: string, env: string) => (freeText ? refSlots.get(id)!.get(env) : optionIndex.get(probes.get(id)![env]!));

  const known = (ids: string[], where: string) => ids.forEach((id, i) => {
    if (probes.has(id)) return;
    const near = nearest(id, [...probes.keys()]);
    throw bad(`${where}[${i}]: unknown probe ${JSON.stringify(id)}` + (near ? ` (did you mean "${near}"?)` : ""));
  });
  let cfIds: string[];
  if (m.counterfactual) {
    known(m.counterfactual, "counterfactual");
    cfIds = m.counterfactual;
    for (const id of cfIds) {
      const missing = trained.find((e) => probes.get(id)![e] === undefined);
      if (missing) throw bad(`counterfactual: probe ${JSON.stringify(id)} has no reference for trained environment ${missing} (a counterfactual probe needs one for each: ${trained.join(", ")})`);
    }
  } else {
    cfIds = m.probes.filter((p) => trained.every((e) => p.references[e] !== undefined)).map((p) => p.id);
    if (cfIds.length === 0) throw bad(`probes: no probe has a reference for every trained environment (${trained.join(", ")}), so none can be a counterfactual probe`);
  }
  if (new Set(cfIds).size !== cfIds.length) throw bad(`counterfactual: probe ${cfIds.find((id, i) => cfIds.indexOf(id) !== i)} is listed twice`);
  const N = cfIds.length;
  const ownIds = all.map((env) => {
    const e = m.environments.find((x) => x.name === env)!;
    if (!e.probes) {
      if (e.novel) throw bad(`environments (${env}): a novel environment needs its own probes (it has no counterfactual set)`);
      return cfIds;
    }
    known(e.probes, `environments (${env}).probes`);
    if (e.probes.length !== N) throw bad(`environments (${env}).probes: expected ${N} probes, as many as the counterfactual set, found ${e.probes.length}`);
    if (new Set(e.probes).size !== N) throw bad(`environments (${env}).probes: probe ${e.probes.find((id, i) => e.probes!.indexOf(id) !== i)} is listed twice`);
    const missing = e.probes.find((id) => probes.get(id)![env] === undefined);
    if (missing) throw bad(`environments (${env}).probes: probe ${JSON.stringify(missing)} has no reference for ${env}`);
    return e.probes;
  });

  const labels = new Int32Array(all.length * N), cfLabels = new Int32Array(trained.length * N);
  const pairs = new Map<string, { index: number; cf: number; own: number }>();
  const pair = (probe: string, cue: string) => {
    const k = pairKey(probe, cue);
    let p = pairs.get(k);
    if (!p) pairs.set(k, (p = { index: pairs.size, cf: -1, own: -1 }));
    return p;
  };
  trained.forEach((env, e) => cfIds.forEach((id, i) => {
    cfLabels[e * N + i] = refOf(id, env)!;
    pair(id, env).cf = e * N + i;
  }));
  all.forEach((env, e) => ownIds[e]!.forEach((id, i) => {
    labels[e * N + i] = refOf(id, env)!;
    pair(id, env).own = e * N + i;
  }));

  const seeds = typeof m.seeds === "number" ? Array.from({ length: m.seeds }, (_, s) => String(s)) : m.seeds.map(String);
  if (new Set(seeds).size !== seeds.length) throw bad(`seeds: ${seeds.find((s, i) => seeds.indexOf(s) !== i)} is listed twice`);

  checkSchedule(m, trained, novel, bad);
  return { options, freeText, trained, all, N, cfIds, ownIds, labels, cfLabels, seeds, pairs, refSlots, optionIndex };
}

function checkSchedule(m: Manifest, trained: string[], novel: string[], bad: (what: string) => Error): void {
  const { steps, phases } = m.schedule;
  let at = 0;
  phases.forEach((p, k) => {
    const where = `schedule.phases[${k}]`;
    if (p.start !== at) throw bad(`${where}: expected it to start at step ${at} (phases cover [0, steps) without gaps or overlaps), found ${p.start}`);
    if (p.end <= p.start) throw bad(`${where}: end ${p.end} is not after start ${p.start}`);
    if (p.env !== "mixture" && !trained.includes(p.env))
      throw bad(`${where}.env: expected a trained environment (${trained.join(", ")}) or "mixture", found ${JSON.stringify(p.env)}` + (novel.includes(p.env) ? " (a novel environment is never trained)" : ""));
    at = p.end;
  });
  if (at !== steps) throw bad(`schedule.phases: expected the last phase to end at schedule.steps = ${steps}, found ${at}`);
  if (m.schedule.kind === "mixture" && phases.some((p) => p.env !== "mixture")) throw bad(`schedule.kind: "mixture" but a phase trains one environment alone`);
  const cps = m.checkpoints;
  if (cps) cps.forEach((c, i) => {
    if (c > steps) throw bad(`checkpoints[${i}]: ${c} is after the last step (schedule.steps = ${steps})`);
    if (i > 0 && c <= cps[i - 1]!) throw bad(`checkpoints[${i}]: expected steps in ascending order, found ${c} after ${cps[i - 1]}`);
  });
  if (m.window > steps) throw bad(`window: ${m.window} steps is longer than the run (${steps})`);
  for (const env of Object.keys(m.baselines?.specialists ?? {}))
    if (!trained.includes(env)) throw bad(`baselines.specialists: expected a trained environment (${trained.join(", ")}), found ${JSON.stringify(env)}`);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v);
}
