// `ecotone report <runId|sweepId> -o FILE.html`: one self-contained HTML file to attach to a paper.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { reportHtml } from "../../report/report.ts";
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";

export default async function (id: string, o: { store: string; out: string }): Promise<void> {
  const ext = extname(o.out).toLowerCase();
  if (ext !== ".html" && ext !== ".htm") throw new EcotoneError("E_ARGS", `report: -o must end in .html, got ${o.out}`);
  // Opening a missing file would create an empty store; say what is wrong instead.
  if (o.store !== ":memory:" && !existsSync(o.store)) throw new EcotoneError("E_NOT_FOUND", `no run store at ${o.store}`);
  const store = await openStore(o.store);
  try {
    await writeFile(o.out, await reportHtml(store, id));
    process.stderr.write(`wrote ${o.out}\n`);
  } finally {
    await store.close();
  }
}
