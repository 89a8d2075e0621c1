// Reading and validating spec files. Invalid specs throw an E_SPEC error before anything is
// written, so a bad spec never leaves half a run behind.
import { readFileSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import YAML from "yaml";
import { loadPlugins, resolvePlugins } from "../components/plugins.ts";
import { worlds } from "../envs/index.ts";
import { metrics } from "../metrics/live/index.ts";
import { makeSchedule } from "../schedules/index.ts";
import { nearest, specError } from "../util/errors.ts";
import { formatIssues } from "./errors.ts";
import { experimentSchema, type ExperimentSpec } from "./schema.ts";

/**
 * Validates a spec object (parsed YAML, written in TS, or stored); throws E_SPEC naming every
 * problem. Plugins the spec names must be loaded already (loadSpec and loadSpecPlugins do it).
 */
export function parseSpec(input: unknown, source = "spec"): ExperimentSpec {
  const schema = experimentSchema(input);
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw specError(`${source}: invalid spec\n  ` + formatIssues(schema, r.error.issues, input).join("\n  "));
  const spec = r.data as ExperimentSpec;
  checkCrossRefs(spec, source);
  return spec;
}

/** Checks that need more than one field: names that must exist, sizes that must fit. */
function checkCrossRefs(spec: ExperimentSpec, source: string): void {
  const names = spec.envs.map((e) => e.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw specError(`${source}: envs: duplicate environment name: ${dup}`);
  const stray = Object.keys(spec.train.perEnv ?? {}).find((n) => !names.includes(n));
  if (stray) throw specError(`${source}: train.perEnv: unknown environment ${stray}` + (nearest(stray, names) ? ` (did you mean ${nearest(stray, names)}?)` : ` (have ${names.join(", ")})`));
  for (const m of spec.metrics.skip)
    if (!metrics.has(m)) {
      const near = nearest(m, metrics.kinds());
      throw specError(`${source}: metrics.skip: unknown metric: ${m}` + (near ? ` (did you mean "${near}"?)` : ` (have ${metrics.kinds().join(", ")})`));
    }
  try {
    const world = worlds.get(spec.world.kind).create(spec.world, names, spec.novel);
    const all = world.envs.map((e) => e.name);
    const clash = all.find((n, i) => all.indexOf(n) !== i);
    if (clash) throw new Error(`novel: environment name ${JSON.stringify(clash)} is used twice (novel environments need names of their own)`);
    makeSchedule(spec.schedule, names, 1, spec.seed);
  } catch (e) {
    throw specError(`${source}: ${(e as Error).message}`);
  }
}

/** Loads a YAML (or JSON) spec file, and the plugins it names (paths relative to the file). */
export async function loadSpec(path: string): Promise<ExperimentSpec> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw specError(`cannot read spec file: ${path}: ${why(e)}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw specError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  doc ??= {}; // an empty file is an all-defaults spec
  if (doc && typeof doc === "object" && !Array.isArray(doc)) {
    const d = doc as Record<string, unknown>;
    if (!("name" in d)) d.name = basename(path, extname(path));
    if (Array.isArray(d.plugins) && d.plugins.every((p) => typeof p === "string")) {
      d.plugins = resolvePlugins(d.plugins, dirname(path));
      await loadPlugins(d.plugins as string[]);
    }
  }
  return parseSpec(doc, path);
}

/** A file error in words: what the user can act on. */
export function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return ({ ENOENT: "no such file", EISDIR: "it is a directory", EACCES: "permission denied", EPERM: "permission denied", ENOTDIR: "a folder on its path is a file" } as Record<string, string>)[code ?? ""] ?? (e as Error).message;
}
