// The identity of a spec's plugins: a hash of their sources, kept apart from the loader so that
// the run plan can hash a spec without importing every registry. The bytes hashed are those read
// when the plugin was imported: a file edited while a process runs still hashes as the code it runs.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { specError } from "../util/errors.ts";

const imported = new Map<string, string>(); // absolute path → sha256 of the source imported

/** Records the source a plugin was imported from (the loader calls this). */
export function rememberSource(path: string, source: Buffer): void {
  imported.set(path, createHash("sha256").update(source).digest("hex"));
}

/** sha256 of one plugin's source: as imported in this process, or as it is on disk now. */
export function sourceHash(path: string): string {
  const known = imported.get(path);
  if (known) return known;
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch {
    throw specError(`plugin not found: ${path}`);
  }
}

/** A hash of the plugins' sources, in order (not of their paths: the same plugin in another checkout is the same experiment). */
export function pluginsHash(paths: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of paths) h.update(sourceHash(p)).update("\0");
  return h.digest("hex");
}

/** Absolute paths of `paths`, resolved against `base` (the spec file's folder). */
export function resolvePlugins(paths: readonly string[], base: string): string[] {
  return paths.map((p) => (isAbsolute(p) ? p : resolve(base, p)));
}
