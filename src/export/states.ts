// `export --states`: each run's saved training state as `states/<run_id>.safetensors`, when the
// store holds it in that format (numpy: safetensors.numpy.load_file; PyTorch: safetensors.torch).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../store/index.ts";

/**
 * Whether bytes are laid out like a safetensors file: an 8-byte little-endian header length n,
 * then n bytes of JSON header (starting with `{`) that fit in the file.
 */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  return n >= 2n && 8n + n <= BigInt(bytes.length) && bytes[8] === 0x7b; // "{"
}

/** The file of a run's state, relative to the export folder. */
export const stateFile = (runId: string) => join("states", `${runId}.safetensors`);

/** Write the latest saved state of each run; a run without one, or with one in an older format, is a note. */
export async function writeStates(store: Store, runIds: readonly string[], dir: string): Promise<{ files: string[]; notes: string[] }> {
  const files: string[] = [], notes: string[] = [];
  for (const id of runIds) {
    const saved = await store.loadState(id);
    if (saved === undefined) {
      notes.push(`run ${id} has no saved state: skipped`);
      continue;
    }
    if (!isSafetensors(saved.state)) {
      notes.push(`run ${id}: its saved state (step ${saved.step}) is not in safetensors format (stored by an older ecotone): skipped`);
      continue;
    }
    await mkdir(join(dir, "states"), { recursive: true });
    await writeFile(join(dir, stateFile(id)), saved.state);
    files.push(stateFile(id));
  }
  return { files, notes };
}
