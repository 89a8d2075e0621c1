// `ecotone note <id> "text"`: append a timestamped note to a run.
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";
import { resolveRun } from "./_runs.ts";

export default async function (id: string, text: string, o: { store: string; json?: boolean }): Promise<void> {
  if (text.trim() === "") throw new EcotoneError("E_ARGS", "note: the text is empty");
  const store = await openStore(o.store);
  try {
    const run = await resolveRun(store, id);
    const note = await store.addNote(run.id, text);
    console.log(o.json ? JSON.stringify({ runId: run.id, ...note }) : `${run.id}: noted at ${note.at}`);
  } finally {
    await store.close();
  }
}
