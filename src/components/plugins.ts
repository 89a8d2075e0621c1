// Plugin files: a spec's `plugins:` names TypeScript or JavaScript modules whose exports are
// components (made by defineWorld, defineObjective, defineModel or defineMetric; a default export
// may also be a list of them). Loading one registers its components. Every process that parses
// the spec loads them (the CLI, worker threads, sweep cell processes), and a plugin's source is
// part of the run's identity: its hash enters the spec hash.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { worlds } from "../envs/index.ts";
import { metrics } from "../metrics/live/index.ts";
import { models } from "../models/index.ts";
import { objectives } from "../objectives/index.ts";
import { specError } from "../util/errors.ts";
import { rememberSource } from "./hash.ts";
import type { Component, Registry } from "./registry.ts";

const registries: Record<string, Registry<any>> = { world: worlds, objective: objectives, model: models, metric: metrics };
const loaded = new Map<string, { hash: string; components: Component[] }>(); // absolute path → its source hash and components

const isComponent = (v: unknown): v is Component =>
  !!v && typeof v === "object" && typeof (v as Component).kind === "string" && (v as Component).type in registries;


/**
 * Imports and registers every plugin (absolute paths). A path already loaded is not loaded again
 * unless its file changed since: then the new source is imported and replaces its components, so
 * what runs is always what the spec hash names.
 */
export async function loadPlugins(paths: readonly string[]): Promise<void> {
  if (paths.length) shareImports();
  for (const path of paths) {
    let source: Buffer;
    try {
      source = readFileSync(path); // the bytes hashed into the spec are the bytes imported now
    } catch (e) {
      throw specError((e as NodeJS.ErrnoException).code === "ENOENT" ? `plugin not found: ${path}` : `plugin ${path} cannot be read: ${(e as Error).message}`);
    }
    const hash = createHash("sha256").update(source).digest("hex");
    const before = loaded.get(path);
    if (before?.hash === hash) continue;
    let mod: Record<string, unknown>;
    try {
      mod = await import(pathToFileURL(path).href + (before ? `?v=${hash.slice(0, 12)}` : "")); // a new URL: ESM caches by URL
    } catch (e) {
      throw specError(`plugin ${path} failed to load: ${(e as Error).message}`);
    }
    const found = [...new Set(Object.values(mod).flatMap((v) => (Array.isArray(v) ? v : [v])).filter(isComponent))];
    if (found.length === 0) throw specError(`plugin ${path} exports no component (export defineWorld/defineObjective/defineModel/defineMetric results)`);
    for (const c of found) {
      const r = registries[c.type]!;
      r.add(c, before !== undefined && r.origin(c.kind) === path, path); // a reloaded plugin replaces only its own components
    }
    loaded.set(path, { hash, components: found });
    rememberSource(path, source);
  }
}

let hooked = false;
/** Lets plugins outside the checkout import "ecotone/extend" (and the engine) as ecotone's own copies; once per thread. */
function shareImports(): void {
  if (hooked) return;
  hooked = true;
  register("./_resolve.mjs", import.meta.url, { data: { root: new URL("../../package.json", import.meta.url).href } });
}

/** Loads the plugins a (raw or parsed) spec names; plugin paths in stored specs are absolute. */
export async function loadSpecPlugins(spec: unknown): Promise<void> {
  const paths = (spec as { plugins?: unknown })?.plugins;
  if (Array.isArray(paths)) await loadPlugins(paths.filter((p): p is string => typeof p === "string"));
}

export { pluginsHash, resolvePlugins } from "./hash.ts";
