// `ecotone report <runId|sweepId> -o FILE.html`: one self-contained HTML file to attach to a paper.
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { reportHtml } from "../../report/report.ts";
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";
import { resolveRunId } from "./_runs.ts";
import { readingStore, staleNote } from "./_read.ts";

export default async function (id: string, o: { store: string; out: string }): Promise<void> {
  const ext = extname(o.out).toLowerCase();
  if (ext !== ".html" && ext !== ".htm") throw new EcotoneError("E_ARGS", `report: -o must end in .html, got ${o.out}`);
  // Read-only: a missing file is not created, and a store in a read-only folder can be read.
  const store = await openStore(o.store, { readonly: true });
  try {
    id = await resolveRunId(store, id);
    const html = await readingStore(store, () => reportHtml(store, id));
    await writeFile(o.out, html);
    const note = await staleNote(store, id, store.url);
    if (note) process.stderr.write(note);
    process.stderr.write(`wrote ${o.out}\n`);
  } finally {
    await store.close();
  }
}
