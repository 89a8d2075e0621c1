// Turns zod issues into terse messages that show what was expected and what was given, naming
// the nearest valid key for a misspelt one.
import type { z } from "zod";
import { nearest } from "../util/errors.ts";

type Path = readonly PropertyKey[];
const fmt = (path: Path) => (path.length ? path.map(String).join(".") : "(top level)");

/** The keys an object schema accepts at `path` of the input, walking wrappers, arrays and unions. */
export function keysAt(schema: z.ZodType, path: Path, input: unknown): string[] {
  let s: any = schema;
  let v: any = input;
  for (let i = 0; ; ) {
    const def = s?._zod?.def;
    if (!def) return [];
    switch (def.type) {
      case "optional": case "nullable": case "default": case "prefault": case "readonly": case "catch":
        s = def.innerType; continue;
      case "pipe": s = def.out; continue;
      case "union": {
        // a discriminated union picks the option whose literal matches; otherwise the first object option
        const opts: any[] = def.options;
        const literal = (o: any) => { let k = o?._zod?.def?.shape?.kind?._zod?.def; while (k && !k.values && k.innerType) k = k.innerType._zod.def; return k; }; // through .default()
        s = opts.find((o) => { const k = literal(o); return k && v && k.values?.includes(v.kind); }) ?? opts[0];
        continue;
      }
      case "object":
        if (i === path.length) return Object.keys(def.shape);
        s = def.shape[path[i] as string]; v = v?.[path[i] as string]; i++; continue;
      case "array": case "tuple":
        if (i === path.length) return [];
        s = def.type === "array" ? def.element : def.items?.[path[i] as number]; v = v?.[path[i] as number]; i++; continue;
      case "record":
        if (i === path.length) return [];
        s = def.valueType; v = v?.[path[i] as string]; i++; continue;
      default: return [];
    }
  }
}

/** One line per issue, e.g. `unknown key "phaseStep" at schedule (did you mean "phaseSteps"?)`. */
export function formatIssues(schema: z.ZodType, issues: z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((iss) => {
    const at = fmt(iss.path);
    if (iss.code === "unrecognized_keys") {
      const valid = keysAt(schema, iss.path, input);
      return iss.keys.map((k) => {
        const near = nearest(k, valid);
        return `unknown key "${k}" at ${at}` + (near ? ` (did you mean "${near}"?)` : valid.length ? ` (valid keys: ${valid.join(", ")})` : "");
      }).join("\n");
    }
    if (iss.code === "invalid_union" && (iss as any).discriminator) {
      const d: string = (iss as any).discriminator;
      const path = iss.path[iss.path.length - 1] === d ? iss.path : [...iss.path, d]; // zod ≥ 4.1 already ends with it
      let got = valueAt(input, path);
      const parent = valueAt(input, path.slice(0, -1));
      if (got === undefined && typeof parent === "string") got = parent; // shorthand such as `objective: rewrd`
      const options: unknown[] = ((iss as any).options ?? []).filter((o: unknown) => o !== undefined); // a literal with a default adds undefined
      const what = String(path[path.length - 2] ?? "");
      const near = typeof got === "string" ? nearest(got, options.map(String)) : undefined;
      return `${fmt(path)}: unknown ${what && !/^\d+$/.test(what) ? what + " " : ""}kind: ${JSON.stringify(got)}` +
        (options.length ? ` (expected ${options.map((o) => JSON.stringify(o)).join(" | ")})` : "") +
        (near ? ` (did you mean "${near}"?)` : "");
    }
    if (iss.code === "invalid_value") {
      const got = valueAt(input, iss.path);
      const options = iss.values.map((x) => JSON.stringify(x));
      const near = typeof got === "string" ? nearest(got, iss.values.map(String)) : undefined;
      return `${at}: expected one of ${options.join(" | ")}, got ${JSON.stringify(got)}` + (near ? ` (did you mean "${near}"?)` : "");
    }
    return `${at}: ${iss.message}`;
  });
}

function valueAt(input: unknown, path: Path): unknown {
  let v: any = input;
  for (const k of path) v = v?.[k as string];
  return v;
}
