// Reading and validating spec files. Invalid specs throw an E_SPEC error before anything is
// written, so a bad spec never leaves half a run behind.
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import YAML from "yaml";
import { TeacherWorld } from "../envs/teacher.ts";
import { makeSchedule } from "../schedules/index.ts";
import { specError } from "../util/errors.ts";
import { formatIssues } from "./errors.ts";
import { experimentSchema, type ExperimentSpec } from "./schema.ts";

/** Validates a spec object (parsed YAML or written in TS); throws E_SPEC naming every problem. */
export function parseSpec(input: unknown, source = "spec"): ExperimentSpec {
  const r = experimentSchema.safeParse(input ?? {});
  if (!r.success) throw specError(`${source}: invalid spec\n  ` + formatIssues(experimentSchema, r.error.issues, input).join("\n  "));
  const spec = r.data;
  checkCrossRefs(spec, source);
  return spec;
}

/** Checks that need more than one field: names that must exist, sizes that must fit. */
function checkCrossRefs(spec: ExperimentSpec, source: string): void {
  const names = spec.envs.map((e) => e.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw specError(`${source}: envs: duplicate environment name: ${dup}`);
  try {
    new TeacherWorld(spec.world, names, spec.novel);
    makeSchedule(spec.schedule, names, 1, spec.seed);
  } catch (e) {
    throw specError(`${source}: ${(e as Error).message}`);
  }
}

/** Loads a YAML (or JSON) spec file. */
export function loadSpec(path: string): ExperimentSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw specError(`cannot read spec file: ${path}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw specError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  doc ??= {}; // an empty file is an all-defaults spec
  if (doc && typeof doc === "object" && !("name" in doc)) (doc as any).name = basename(path, extname(path));
  return parseSpec(doc, path);
}
