// Dotted paths into an experiment spec: `world.distinguishability`, `envs.1.objective`,
// `schedule` (a whole object). A path is checked against the base spec with its defaults filled
// in, and against the schema for optional keys the base leaves out, so a typo names the nearest
// valid path before anything runs.
import type { z } from "zod";
import { keysAt } from "../experiment/errors.ts";
import { nearest, specError } from "../util/errors.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** `envs.1.objective` → ["envs", "1", "objective"]; empty segments are an error. */
export function splitPath(path: string, where: string): string[] {
  const segs = path.split(".");
  if (path === "" || segs.some((s) => s === "")) throw specError(`${where}: not a dotted path: ${JSON.stringify(path)}`);
  return segs;
}

/**
 * Throws E_SPEC unless `path` names a field of `spec` (an experiment spec with defaults filled
 * in) or an optional field its schema allows there, e.g.
 * `grid: unknown path world.distinguishibility (did you mean world.distinguishability?)`.
 */
export function checkPath(schema: z.ZodType, spec: unknown, path: string, where: string): void {
  const segs = splitPath(path, where);
  let v: unknown = spec;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const at = segs.slice(0, i).join(".");
    const full = (k: string) => (at ? `${at}.${k}` : k);
    if (Array.isArray(v)) {
      const idx = Number(seg);
      if (!/^\d+$/.test(seg) || idx >= v.length)
        throw specError(`${where}: unknown path ${path}: ${at} is ` + (v.length ? `a list of ${v.length}, so ${seg} is not an index (expected 0..${v.length - 1})` : `an empty list: set ${at} as a whole`));
      v = v[idx];
    } else if (isObj(v)) {
      if (seg in v) { v = v[seg]; continue; }
      const valid = [...new Set([...Object.keys(v), ...keysAt(schema, segs.slice(0, i), spec)])];
      if (valid.includes(seg)) {
        if (i === segs.length - 1) return; // an optional key the base leaves unset
        throw specError(`${where}: ${full(seg)} is not set in the base spec, so ${path} cannot reach into it: set ${full(seg)} as a whole`);
      }
      const near = nearest(seg, valid);
      throw specError(`${where}: unknown path ${path}` + (near ? ` (did you mean ${full(near)}?)` : valid.length ? ` (valid keys at ${at || "the top level"}: ${valid.join(", ")})` : ""));
    } else {
      throw specError(`${where}: unknown path ${path}: ${at} is ${JSON.stringify(v)}, not an object or a list`);
    }
  }
}

/** Sets `path` in `target` (already checked with checkPath) to a copy of `value`. */
export function setPath(target: Obj, path: string, value: unknown): void {
  const segs = path.split(".");
  let v: any = target;
  for (const seg of segs.slice(0, -1)) v = Array.isArray(v) ? v[Number(seg)] : v[seg];
  const last = segs[segs.length - 1]!;
  v[Array.isArray(v) ? Number(last) : last] = structuredClone(value);
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  return JSON.stringify(v ?? null);
}

/** Objects merged key by key (recursively); anything else, arrays included, replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return structuredClone(over);
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : structuredClone(v);
  return out;
}
