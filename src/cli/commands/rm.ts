// `ecotone rm <id>...`: delete runs and everything stored with them, all or nothing.
import { openStore, type RunRemoval } from "../../store/index.ts";
import { resolveRun } from "./_runs.ts";

interface Opts { store: string; force?: boolean; dryRun?: boolean; json?: boolean }

export default async function (ids: string[], o: Opts): Promise<void> {
  const store = await openStore(o.store);
  try {
    const runIds: string[] = [];
    for (const id of ids) runIds.push((await resolveRun(store, id)).id);
    const removed = await store.deleteRuns(runIds, { force: o.force, dryRun: o.dryRun });
    if (o.json) return console.log(JSON.stringify({ dryRun: !!o.dryRun, runs: removed }));
    for (const r of removed) console.log(describe(r, !!o.dryRun));
  } finally {
    await store.close();
  }
}

function describe(r: RunRemoval, dryRun: boolean): string {
  const what = [`${r.metrics} metric values`, r.hasState ? "saved state" : "", r.tags ? `${r.tags} tags` : "", r.notes ? `${r.notes} notes` : ""].filter(Boolean).join(", ");
  const cells = r.cells.map((c) => `; cell ${c.cellKey} of sweep ${c.sweepId} back to pending`).join("");
  return `${dryRun ? "would remove" : "removed"} ${r.runId} (${r.name}, ${r.status}): ${what}${cells}`;
}
