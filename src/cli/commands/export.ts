// `ecotone export <runId> --probe-log DIR`: a stored run written in the probe-log format
// (docs/probe-log.md), by training it again bit for bit; `ecotone ingest DIR/manifest.json` reads it back.
import { exportProbeLog } from "../../ingest/index.ts";
import { openStore } from "../../store/index.ts";
import { defaultReporter } from "../reporter.ts";

export default async function (runId: string, o: { store: string; probeLog: string; gzip?: boolean; json?: boolean }): Promise<void> {
  const store = await openStore(o.store);
  const reporter = defaultReporter();
  let started = false;
  try {
    const r = await exportProbeLog(runId, {
      store, dir: o.probeLog, gzip: o.gzip,
      onProgress: (step, total) => {
        if (!started) { reporter.start(`export ${runId}`, total); started = true; }
        reporter.update(step);
      },
    });
    reporter.stop();
    if (o.json) console.log(JSON.stringify(r));
    else console.log(`run ${r.runId}: ${r.checkpoints} checkpoints, ${r.lines} records\n  ${r.manifest}\n  ${r.records}\nread it back with: ecotone ingest ${r.manifest}`);
  } finally {
    reporter.stop();
    await store.close();
  }
}
