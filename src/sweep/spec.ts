// A sweep spec: a base experiment, a grid (cartesian product) and zipped lists over dotted paths,
// or a seeded random search over ranges and choices, and a `quick` variant. Expansion validates
// every cell with parseSpec before anything runs, and gives each cell a stable key (canonical JSON
// of its params) and the sweep a stable id.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { loadPlugins, pluginsHash, resolvePlugins } from "../components/plugins.ts";
import { budgetDefaults, checkBudget } from "../experiment/budget.ts";
import { formatIssues } from "../experiment/errors.ts";
import { parseSpec } from "../experiment/load.ts";
import { applyOverrides, parseOverride } from "../experiment/overrides.ts";
import { experimentSchema, type ExperimentSpec } from "../experiment/schema.ts";
import { nearest, specError } from "../util/errors.ts";
import { hashSeed, Rng } from "../util/rng.ts";
import { canonicalJson, checkPath, deepMerge, setPath } from "./paths.ts";

const lists = z.record(z.string(), z.array(z.unknown()).min(1, "expected at least one value"));

export const randomDefaults = {
  seed: 0, // the sampler's seed: same spec and seed → same cells
  digits: 4, // significant digits kept of a sampled number (readable cell keys and tables); ints and choices exact
  tries: 100, // draws per wanted sample before a space too small for `n` distinct samples is refused
};

const pair = (v: z.ZodNumber) => z.tuple([v, v]).refine(([lo, hi]) => lo <= hi, "expected [low, high] with low ≤ high");
/** One searched path: a range (uniform, log-uniform, integers, both ends included) or a list of choices. */
const rangeSchema = z.union([
  z.strictObject({ uniform: pair(z.number()) }),
  z.strictObject({ logUniform: pair(z.number().positive()) }),
  z.strictObject({ int: pair(z.int()) }),
  z.strictObject({ choice: z.array(z.unknown()).min(1, "expected at least one choice") }),
]);
export type Range = z.infer<typeof rangeSchema>;

export const randomSchema = z.strictObject({
  n: z.int().min(1), // samples drawn: the search's budget (cells per grid point)
  seed: z.int().min(0).default(randomDefaults.seed),
  params: z.record(z.string(), rangeSchema).refine((p) => Object.keys(p).length > 0, "expected at least one path"), // dotted path → range or choices
});

export const quickSchema = z.strictObject({
  base: z.record(z.string(), z.unknown()).optional(), // deep-merged into the base, e.g. { train: { steps: 200 } }
  grid: lists.optional(), // replaces the values of these grid paths
  zip: lists.optional(), // replaces these zipped lists (all must keep one length)
  seeds: z.int().min(1).max(4096).optional(), // replaces `seeds`
  random: z.strictObject({ n: z.int().min(1) }).optional(), // replaces random.n (the same first samples: the draws are one stream)
});

export const sweepSchema = z.strictObject({
  name: z.string().min(1).optional(), // sweep label; default: the spec file's name
  base: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).default({}), // experiment spec, inline or a file path relative to this one
  grid: lists.default({}), // dotted path → values; cells are the cartesian product (first path outermost)
  zip: lists.default({}), // dotted path → values, advanced together (all the same length); innermost
  random: randomSchema.optional(), // n seeded samples of ranges and choices, advanced together like zip (a sweep has zip or random)
  seeds: z.int().min(1).max(4096).optional(), // overrides the base's seeds in every cell
  quick: quickSchema.optional(), // overrides applied with --quick
  diagram: z.strictObject({ // phase-diagram axes (swept paths; default: the first two or three) and their titles
    x: z.string(), y: z.string(), facet: z.string().optional(),
    xTitle: z.string().optional(), yTitle: z.string().optional(), facetTitle: z.string().optional(),
  }).optional(),
});

export type SweepInput = z.input<typeof sweepSchema>;

/** Typed helper for sweeps written in TypeScript; YAML expresses the same object. */
export const defineSweep = (spec: SweepInput): SweepInput => spec;

export interface Cell {
  key: string; // canonical JSON of params: the cell's identity across restarts
  params: Record<string, unknown>; // dotted path → value, grid paths then zip paths
  spec: ExperimentSpec; // validated
}

export interface Sweep {
  id: string; // "s" + the first 11 hex digits of hash
  hash: string; // sha256 of the expansion: same spec file, same flags → same sweep
  name: string;
  source: string; // where it came from, for messages
  grid: string[]; // grid paths, in spec order
  zip: string[]; // zipped paths, in spec order (a random search's paths: its samples advance together)
  random?: { n: number; seed: number }; // a random search: its budget and seed
  cells: Cell[];
  diagram?: { x: string; y: string; facet?: string; xTitle?: string; yTitle?: string; facetTitle?: string }; // phase-diagram axes chosen by the spec
}

/** Reads a YAML sweep spec (and loads the plugins its base names); `quick` applies its `quick:` overrides. Throws E_SPEC; writes nothing. */
export async function loadSweep(path: string, o: { quick?: boolean; allowLarge?: boolean; set?: readonly string[] } = {}): Promise<Sweep> {
  const doc = readYaml(path, "sweep spec");
  if (doc && typeof doc === "object" && !Array.isArray(doc) && !("name" in doc)) (doc as any).name = basename(path, extname(path));
  const base = (doc as any)?.base;
  const [spec, dir] = typeof base === "string" ? [readYaml(resolve(dirname(path), base), "base spec") as any, dirname(resolve(dirname(path), base))] : [base, dirname(path)];
  if (Array.isArray(spec?.plugins) && spec.plugins.every((p: unknown) => typeof p === "string")) await loadPlugins(resolvePlugins(spec.plugins, dir));
  return expandSweep(doc, { source: path, dir: dirname(path), quick: o.quick, allowLarge: o.allowLarge, set: o.set });
}

/** Expands a sweep spec object into validated cells (see loadSweep). `dir` resolves a `base:` file path. */
export function expandSweep(input: unknown, o: { source?: string; dir?: string; quick?: boolean; allowLarge?: boolean; set?: readonly string[] } = {}): Sweep {
  const source = o.source ?? "sweep";
  const r = sweepSchema.safeParse(input ?? {});
  if (!r.success) throw specError(`${source}: invalid sweep spec\n  ` + formatIssues(sweepSchema, r.error.issues, input).join("\n  "));
  const s = r.data;
  const name = s.name ?? "sweep";
  let base: unknown = typeof s.base === "string" ? readYaml(resolve(o.dir ?? ".", s.base), "base spec") ?? {} : s.base;
  if (typeof base !== "object" || base === null || Array.isArray(base)) throw specError(`${source}: base: expected an experiment spec (an object), got ${JSON.stringify(base)}`);
  // Plugins are relative to the file that names them (loadSweep has loaded them).
  const pluginDir = typeof s.base === "string" ? dirname(resolve(o.dir ?? ".", s.base)) : o.dir ?? ".";
  const named = (base as { plugins?: unknown }).plugins;
  if (Array.isArray(named) && named.every((p) => typeof p === "string")) base = { ...base, plugins: resolvePlugins(named, pluginDir) };
  const grid = { ...s.grid }, zip = { ...s.zip };
  let seeds = s.seeds;
  if (o.quick) {
    if (!s.quick) throw specError(`${source}: --quick needs a quick: section in the sweep spec`);
    base = deepMerge(base, s.quick.base ?? {});
    replaceLists(grid, s.quick.grid, `${source}: quick.grid`);
    replaceLists(zip, s.quick.zip, `${source}: quick.zip`);
    seeds = s.quick.seeds ?? seeds;
  }
  let random: Sweep["random"];
  if (s.random) {
    if (Object.keys(zip).length) throw specError(`${source}: random and zip: give one of them (a random search already advances its samples together)`);
    random = { n: (o.quick && s.quick?.random?.n) || s.random.n, seed: s.random.seed };
    if (!o.allowLarge && random.n > budgetDefaults.cells)
      throw specError(`${source}: random.n ${random.n.toLocaleString("en")} is more than the limit of ${budgetDefaults.cells.toLocaleString("en")} cells; pass --allow-large to run it anyway`);
    Object.assign(zip, sampleRandom(s.random.params, random.n, random.seed, `${source}: random`));
  } else if (o.quick && s.quick?.random) throw specError(`${source}: quick.random needs a random: section in the sweep spec`);
  const b = base as Record<string, unknown>;
  if (b.name === undefined) b.name = name;
  if (seeds !== undefined) b.seeds = seeds;
  // --set overrides the base for every cell; a swept path would be overwritten by its cells, so it is refused.
  const set = o.set ?? [];
  const swept = set.map((a) => parseOverride(a)[0]).find((p) => p in grid || p in zip);
  if (swept) throw specError(`${source}: --set ${swept}: that path is swept by the ${swept in grid ? "grid" : random ? "random search" : "zip"}; set it there`);
  const filled = applyOverrides(parseSpec(b, `${source}: base`), set, `${source}: base`) as unknown as Record<string, unknown>;

  const gridPaths = Object.keys(grid), zipPaths = Object.keys(zip);
  for (const p of gridPaths) checkPath(experimentSchema(filled), filled, p, `${source}: grid`);
  const zipName = random ? "random.params" : "zip";
  for (const p of zipPaths) checkPath(experimentSchema(filled), filled, p, `${source}: ${zipName}`);
  const both = gridPaths.find((p) => zipPaths.includes(p));
  if (both) throw specError(`${source}: ${both} is in both grid and ${zipName}: give it in one of them`);
  const lens = zipPaths.map((p) => zip[p]!.length);
  if (new Set(lens).size > 1)
    throw specError(`${source}: zip: lists must have one length, got ${zipPaths.map((p, i) => `${p}: ${lens[i]}`).join(", ")}`);

  const zipLen = lens[0] ?? 1;
  const count = gridPaths.reduce((n, p) => n * grid[p]!.length, zipLen);
  if (count > budgetDefaults.cells && !o.allowLarge)
    throw specError(`${source}: the sweep has ${count.toLocaleString("en")} cells (${[...gridPaths.map((p) => `${p}: ${grid[p]!.length}`), ...(zipPaths.length ? [`zip: ${zipLen}`] : [])].join(" × ")}), more than the limit of ${budgetDefaults.cells.toLocaleString("en")}; pass --allow-large to run it anyway`);
  const cells: Cell[] = [];
  const seen = new Map<string, number>();
  for (const combo of product(gridPaths.map((p) => grid[p]!))) {
    for (let j = 0; j < zipLen; j++) {
      const params: Record<string, unknown> = {};
      gridPaths.forEach((p, i) => (params[p] = combo[i]));
      zipPaths.forEach((p) => (params[p] = zip[p]![j]));
      const key = canonicalJson(params);
      if (seen.has(key)) throw specError(`${source}: cells ${seen.get(key)} and ${cells.length} have the same parameters ${key}: remove the repeated value`);
      seen.set(key, cells.length);
      const obj = structuredClone(filled);
      for (const [p, v] of Object.entries(params)) setPath(obj, p, v);
      const spec = parseSpec(obj, `${source}: cell ${key}`);
      checkBudget(spec, { allowLarge: o.allowLarge, source: `${source}: cell ${key}` });
      cells.push({ key, params, spec });
    }
  }
  if (s.diagram)
    for (const axis of [s.diagram.x, s.diagram.y, s.diagram.facet].filter((a): a is string => !!a))
      if (!gridPaths.includes(axis) && !zipPaths.includes(axis))
        throw specError(`${source}: diagram: ${axis} is not a swept path` + (nearest(axis, [...gridPaths, ...zipPaths]) ? ` (did you mean ${nearest(axis, [...gridPaths, ...zipPaths])}?)` : ""));
  const h = createHash("sha256").update(canonicalJson({ name, grid: gridPaths, zip: zipPaths, cells: cells.map((c) => [c.key, c.spec]) }));
  const plugins = (filled as { plugins?: string[] }).plugins ?? [];
  if (plugins.length) h.update("\0plugins:").update(pluginsHash(plugins)); // an edited plugin is another sweep (sweeps without plugins keep their ids)
  const hash = h.digest("hex");
  return { id: "s" + hash.slice(0, 11), hash, name, source, grid: gridPaths, zip: zipPaths, ...(random && { random }), cells, diagram: s.diagram };
}

/**
 * `n` distinct samples of `params` (each path drawn in spec order from one seeded stream), as zip
 * lists: a pure function of (params, n, seed), and the first k samples of n are those of k.
 */
export function sampleRandom(params: Record<string, Range>, n: number, seed: number, where: string): Record<string, unknown[]> {
  const rng = new Rng(hashSeed(seed, 0x5eed)), paths = Object.keys(params);
  const out: Record<string, unknown[]> = Object.fromEntries(paths.map((p) => [p, []]));
  const seen = new Set<string>();
  for (let draws = 0; seen.size < n; draws++) {
    if (draws >= randomDefaults.tries * n)
      throw specError(`${where}: only ${seen.size} distinct samples in ${draws} draws: the ranges and choices hold fewer than n = ${n} cells; lower n`);
    const sample = paths.map((p) => draw(params[p]!, rng));
    const key = canonicalJson(sample);
    if (seen.has(key)) continue;
    seen.add(key);
    paths.forEach((p, i) => out[p]!.push(sample[i]));
  }
  return out;
}

function draw(r: Range, rng: Rng): unknown {
  const u = rng.uniform(); // [0, 1)
  const keep = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Number(x.toPrecision(randomDefaults.digits))));
  if ("choice" in r) return structuredClone(r.choice[Math.floor(u * r.choice.length)]);
  if ("int" in r) return r.int[0] + Math.floor(u * (r.int[1] - r.int[0] + 1));
  if ("uniform" in r) return keep(r.uniform[0] + u * (r.uniform[1] - r.uniform[0]), ...r.uniform);
  const [lo, hi] = r.logUniform;
  return keep(Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))), lo, hi);
}

/** quick.grid / quick.zip may only replace lists the sweep already has: a typo must not add a dimension. */
function replaceLists(target: Record<string, unknown[]>, over: Record<string, unknown[]> | undefined, where: string): void {
  for (const [p, values] of Object.entries(over ?? {})) {
    if (!(p in target)) {
      const near = nearest(p, Object.keys(target));
      throw specError(`${where}: ${p} is not a path of the sweep` + (near ? ` (did you mean ${near}?)` : Object.keys(target).length ? ` (have ${Object.keys(target).join(", ")})` : ""));
    }
    target[p] = values;
  }
}

/** Cartesian product, first list outermost; one empty combination for no lists. */
function* product(lists: unknown[][]): Generator<unknown[]> {
  if (lists.length === 0) { yield []; return; }
  const [head, ...rest] = lists;
  for (const v of head!) for (const tail of product(rest)) yield [v, ...tail];
}

function readYaml(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw specError(`cannot read ${what} file: ${path}`);
  }
  try {
    return YAML.parse(text);
  } catch (e) {
    throw specError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
}
