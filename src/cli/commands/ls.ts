// `ecotone ls`: the store's runs, newest first, one line each; filters narrow the list.
import { openStore, type RunRow, type RunStatus, type Store } from "../../store/index.ts";
import type { RunSummary } from "../../train/summary.ts";
import { EcotoneError } from "../../util/errors.ts";
import { parseSince } from "./_runs.ts";
import { readingStore } from "./_read.ts";

interface Opts { store: string; name?: string; status?: string; class?: string; tag?: string; sweep?: string; since?: string; json?: boolean }

const statuses: RunStatus[] = ["running", "completed", "interrupted", "failed", "diverged", "stale"];

/** A listed run: the row's headline fields, its class label (when classified) and tags. */
export interface ListedRun {
  id: string;
  name: string;
  status: RunStatus;
  class: string | null;
  seeds: number;
  steps: number;
  createdAt: string;
  sweepId: string | null;
  tags: string[];
}

export const classOf = (run: RunRow) => (run.summary as Partial<RunSummary> | null)?.classification?.label ?? null;

export async function listRuns(store: Store, o: Omit<Opts, "store" | "json">): Promise<ListedRun[]> {
  if (o.status !== undefined && !statuses.includes(o.status as RunStatus))
    throw new EcotoneError("E_ARGS", `--status must be one of ${statuses.join(", ")}, got ${o.status}`);
  const since = o.since === undefined ? undefined : parseSince(o.since);
  const runs = await store.listRuns({ status: o.status as RunStatus | undefined, sweepId: o.sweep });
  const tags = await store.tags();
  return runs
    .map((r) => ({ id: r.id, name: r.name, status: r.status, class: classOf(r), seeds: r.seeds, steps: r.steps, createdAt: r.createdAt, sweepId: r.sweepId, tags: tags.get(r.id) ?? [] }))
    .filter((r) => o.name === undefined || r.name.includes(o.name))
    .filter((r) => o.class === undefined || r.class === o.class)
    .filter((r) => o.tag === undefined || r.tags.includes(o.tag))
    .filter((r) => since === undefined || r.createdAt >= since);
}

export default async function (o: Opts): Promise<void> {
  const store = await openStore(o.store, { readonly: true });
  try {
    const runs = await readingStore(store, () => listRuns(store, o));
    if (o.json) return console.log(JSON.stringify({ runs }));
    if (!runs.length) return void process.stderr.write(`no runs in ${store.url}${filtered(o) ? " match" : ""}\n`);
    console.log(table(runs));
  } finally {
    await store.close();
  }
}

const filtered = (o: Opts) => [o.name, o.status, o.class, o.tag, o.sweep, o.since].some((v) => v !== undefined);

function table(runs: ListedRun[]): string {
  const rows = [["id", "name", "status", "class", "seeds", "steps", "created", "tags"]];
  for (const r of runs) rows.push([r.id, r.name, r.status, r.class ?? "—", String(r.seeds), String(r.steps), r.createdAt.slice(0, 16).replace("T", " "), r.tags.join(",")]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
