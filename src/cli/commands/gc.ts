// `ecotone gc [--dry-run] [--keep-states POLICY]`: delete the saved training states no policy keeps
// (older states of finished runs, every state of a run that keeps none, states whose run is gone)
// and give the space back (SQLite: VACUUM; PostgreSQL: the server reuses it), printing the sizes.
import { isPostgresUrl, openStore, type KeepStates, type StateEntry } from "../../store/index.ts";

interface Opts { store: string; dryRun?: boolean; keepStates?: KeepStates; json?: boolean }

/** The states to delete: a run still training, interrupted or failed keeps all of its states (a resume needs them). */
export function unkept(states: StateEntry[], override?: KeepStates): StateEntry[] {
  const latest = new Map<string, number>();
  for (const s of states) latest.set(s.runId, Math.max(latest.get(s.runId) ?? -Infinity, s.step));
  return states.filter((s) => {
    if (s.status === null) return true; // its run was deleted
    if (s.status !== "completed" && s.status !== "diverged") return false;
    const keep = override ?? s.keep;
    return keep === "none" || (keep === "final" && s.step !== latest.get(s.runId));
  });
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export default async function (o: Opts): Promise<void> {
  const store = await openStore(o.store);
  try {
    const before = await store.storageBytes();
    const states = await store.states();
    const gone = unkept(states, o.keepStates);
    const freedStates = gone.reduce((n, s) => n + s.bytes, 0);
    let after = before;
    if (!o.dryRun) {
      await store.deleteStates(gone);
      await store.compact();
      after = await store.storageBytes();
    }
    const runs = new Set(gone.map((s) => s.runId)).size;
    if (o.json) {
      console.log(JSON.stringify({ dryRun: !!o.dryRun, store: store.url, states: states.length, deleted: gone.length, runs, stateBytes: freedStates, bytesBefore: before, bytesAfter: o.dryRun ? null : after }));
      return;
    }
    const verb = o.dryRun ? "would delete" : "deleted";
    console.log(`${verb} ${gone.length} of ${states.length} saved states (${runs} runs, ${mb(freedStates)} of state data)`);
    if (o.dryRun) console.log(`store ${store.url}: ${mb(before)} now`);
    else console.log(`store ${store.url}: ${mb(before)} before, ${mb(after)} after (${mb(before - after)} freed)`);
    if (!o.dryRun && isPostgresUrl(o.store) && gone.length)
      console.log("PostgreSQL keeps the freed pages for new rows; VACUUM FULL run_state returns them to the disk, but locks the table while it runs");
  } finally {
    await store.close();
  }
}
