// The identity of a spec's plugins: a hash of their sources, kept apart from the loader so that
// the run plan can hash a spec without importing every registry.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { specError } from "../util/errors.ts";

/** A hash of the plugins' sources, in order: a changed plugin makes a different experiment. */
export function pluginsHash(paths: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of paths) {
    let text: Buffer;
    try {
      text = readFileSync(p);
    } catch {
      throw specError(`plugin not found: ${p}`);
    }
    h.update(p).update("\0").update(text).update("\0");
  }
  return h.digest("hex");
}
