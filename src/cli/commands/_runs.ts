// Internal: how every command that takes a run id reads it: a full id, a unique prefix, or
// `latest` (the newest run in the store); and `ls --since`.
import type { RunRow, Store } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";

/** The word that names the newest run wherever a run id is taken. */
export const LATEST = "latest";

/** The run `id` names (full id, unique prefix or `latest`); E_NOT_FOUND when there is none. */
export async function resolveRun(store: Store, id: string): Promise<RunRow> {
  if (id === LATEST) {
    const [newest] = await store.listRuns();
    if (!newest) throw new EcotoneError("E_NOT_FOUND", `no runs in ${store.url}: "latest" names none`);
    return newest;
  }
  const run = await store.getRun(id);
  if (!run) throw new EcotoneError("E_NOT_FOUND", `no run ${id}`);
  return run;
}

/** `latest` as the newest run's id; any other id as given (the caller resolves prefixes and reports misses). */
export async function resolveRunId(store: Store, id: string): Promise<string> {
  return id === LATEST ? (await resolveRun(store, id)).id : id;
}

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--since`: an ISO date (2026-12-01, 2026-12-01T10:00Z) or an age (30m, 2h, 3d, 1w) → ISO 8601. */
export function parseSince(v: string, now = Date.now()): string {
  const age = /^(\d+(?:\.\d+)?)([mhdw])$/.exec(v.trim());
  if (age) return new Date(now - Number(age[1]) * units[age[2]!]!).toISOString();
  const t = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw new EcotoneError("E_ARGS", `--since must be an ISO date or an age like 2h or 3d, got ${v}`);
  return new Date(t).toISOString();
}
