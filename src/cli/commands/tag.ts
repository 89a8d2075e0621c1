// `ecotone tag <id> <tag>...`: label a run (or, with --remove, unlabel it); prints its tags.
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";
import { resolveRun } from "./_runs.ts";

export default async function (id: string, tags: string[], o: { store: string; remove?: boolean; json?: boolean }): Promise<void> {
  const bad = tags.find((t) => !/^[\w.:+-]+$/.test(t));
  if (bad !== undefined) throw new EcotoneError("E_ARGS", `a tag is letters, digits and _ . : + -, got ${JSON.stringify(bad)}`);
  const store = await openStore(o.store);
  try {
    const run = await resolveRun(store, id);
    await (o.remove ? store.untagRun(run.id, tags) : store.tagRun(run.id, tags));
    const now = (await store.tags([run.id])).get(run.id) ?? [];
    console.log(o.json ? JSON.stringify({ runId: run.id, tags: now }) : `${run.id}: ${now.length ? now.join(", ") : "no tags"}`);
  } finally {
    await store.close();
  }
}
