// Internal: what the read-only commands (report, plot) share: a damaged store named as such
// rather than a crash, and a word about a run whose process is gone.
import { damaged, describeOwner, type Store } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";

/**
 * Runs `read`; an unexpected failure (not a user error) on a store that `PRAGMA quick_check`
 * finds damaged is reported as damage, with how to recover, instead of a stack.
 */
export async function readingStore<T>(store: Store, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof EcotoneError) throw e;
    const problem = await store.integrity(); // when even this fails, its error says why (damaged, as a rule)
    throw problem === null ? e : damaged(store.url, problem);
  }
}

/** A line for stderr when `id` names a stale run (its process is gone), else "". */
export async function staleNote(store: Store, id: string, path: string): Promise<string> {
  const run = await store.getRun(id).catch(() => undefined);
  if (run?.status !== "stale") return "";
  const who = run.owner ? `its process (${describeOwner(run.owner)}) is gone` : "no process is training it";
  return `run ${run.id} is stale: ${who}; resume it with: ecotone run --resume ${run.id} --store ${path}\n`;
}
