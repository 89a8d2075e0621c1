// Plugin files: a spec's `plugins:` names TypeScript or JavaScript modules whose exports are
// components (made by defineWorld, defineObjective, defineModel or defineMetric; a default export
// may also be a list of them). Loading one registers its components. Every process that parses
// the spec loads them (the CLI, worker threads, sweep cell processes), and a plugin's source is
// part of the run's identity: its hash enters the spec hash.
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { worlds } from "../envs/index.ts";
import { metrics } from "../metrics/live/index.ts";
import { models } from "../models/index.ts";
import { objectives } from "../objectives/index.ts";
import { specError } from "../util/errors.ts";
import type { Component, Registry } from "./registry.ts";

const registries: Record<string, Registry<any>> = { world: worlds, objective: objectives, model: models, metric: metrics };
const loaded = new Map<string, Component[]>(); // absolute path → its components

const isComponent = (v: unknown): v is Component =>
  !!v && typeof v === "object" && typeof (v as Component).kind === "string" && (v as Component).type in registries;

/** Absolute paths of `paths`, resolved against `base` (the spec file's folder). */
export function resolvePlugins(paths: readonly string[], base: string): string[] {
  return paths.map((p) => (isAbsolute(p) ? p : resolve(base, p)));
}

/** Imports and registers every plugin (absolute paths); a path already loaded is not loaded again. */
export async function loadPlugins(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (loaded.has(path)) continue;
    let mod: Record<string, unknown>;
    try {
      readFileSync(path);
      mod = await import(pathToFileURL(path).href);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw specError(err.code === "ENOENT" ? `plugin not found: ${path}` : `plugin ${path} failed to load: ${err.message}`);
    }
    const found = Object.values(mod).flatMap((v) => (Array.isArray(v) ? v : [v])).filter(isComponent);
    if (found.length === 0) throw specError(`plugin ${path} exports no component (export defineWorld/defineObjective/defineModel/defineMetric results)`);
    for (const c of new Set(found)) registries[c.type]!.add(c);
    loaded.set(path, [...new Set(found)]);
  }
}

/** Loads the plugins a (raw or parsed) spec names; plugin paths in stored specs are absolute. */
export async function loadSpecPlugins(spec: unknown): Promise<void> {
  const paths = (spec as { plugins?: unknown })?.plugins;
  if (Array.isArray(paths)) await loadPlugins(paths.filter((p): p is string => typeof p === "string"));
}

export { pluginsHash } from "./hash.ts";
