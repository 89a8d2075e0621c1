// `ecotone plot <runId> -o FILE.svg|png`: the standard picture of a stored run.
import { writeFileSync } from "node:fs";
import { extname } from "node:path";
import { runPanelsSpec, toPng, toSvg } from "../../plots/index.ts";
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";
import { resolveRunId } from "./_runs.ts";
import { readingStore, staleNote } from "./_read.ts";

export default async function (runId: string, o: { store: string; out: string }): Promise<void> {
  const ext = extname(o.out).toLowerCase();
  if (ext !== ".svg" && ext !== ".png") throw new EcotoneError("E_ARGS", `plot: -o must end in .svg or .png, got ${o.out}`);
  const store = await openStore(o.store, { readonly: true });
  try {
    runId = await resolveRunId(store, runId);
    const svg = await readingStore(store, async () => {
      const run = await store.getRun(runId);
      if (!run) throw new EcotoneError("E_NOT_FOUND", `no run with id ${runId}`);
      const points = await store.metrics(run.id);
      if (!points.some((p) => p.value !== null)) throw new EcotoneError("E_NOT_FOUND", `run ${run.id} has no metric values yet`);
      const shown = run.status === "completed" ? "" : `, ${run.status}`; // a picture of an unfinished run says so
      return toSvg(runPanelsSpec(points, await store.phases(run.id), `${run.name} (${run.id}, ${run.seeds} seeds${shown})`, run.metrics));
    });
    writeFileSync(o.out, ext === ".svg" ? svg : toPng(svg));
    process.stderr.write(await staleNote(store, runId, store.url));
    process.stderr.write(`wrote ${o.out}\n`);
  } finally {
    await store.close();
  }
}
