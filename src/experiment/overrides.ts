// `key=value` overrides of a spec from the command line: `train.lr=0.01 envs.1.objective=reward`.
// A path is checked like a sweep's (src/sweep/paths.ts), so a typo names the nearest valid path;
// a value is read as YAML (0.01 a number, true a boolean, reward a string, [1, 2] a list).
import YAML from "yaml";
import { checkPath, setPath } from "../sweep/paths.ts";
import { specError } from "../util/errors.ts";
import { parseSpec } from "./load.ts";
import { experimentSchema, type ExperimentSpec } from "./schema.ts";

/** `train.lr=0.01` → ["train.lr", 0.01]; throws E_SPEC for an argument without `=` or a bad value. */
export function parseOverride(arg: string): [string, unknown] {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw specError(`override: expected path=value, got ${JSON.stringify(arg)}`);
  const path = arg.slice(0, eq), text = arg.slice(eq + 1);
  try {
    return [path, YAML.parse(text) ?? null];
  } catch (e) {
    throw specError(`override ${path}: not a YAML value: ${JSON.stringify(text)} (${(e as Error).message.split("\n")[0]})`);
  }
}

/**
 * The spec with every override set, validated again. Paths are checked against the spec with
 * its defaults filled in (`spec`, already valid); later overrides of the same path win.
 */
export function applyOverrides(spec: ExperimentSpec, args: readonly string[], source = "spec"): ExperimentSpec {
  if (!args.length) return spec;
  const obj = structuredClone(spec) as unknown as Record<string, unknown>;
  for (const arg of args) {
    const [path, value] = parseOverride(arg);
    checkPath(experimentSchema(obj), obj, path, "override");
    setPath(obj, path, value);
  }
  return parseSpec(obj, `${source} with ${args.join(" ")}`);
}
