// `ecotone ingest <manifest>`: a run trained anywhere (PyTorch, Hugging Face…), read from its probe
// log (docs/probe-log.md), measured and classified by the lab's metrics, stored and exported as a run.
import { join } from "node:path";
import { exportRun } from "../../export/run.ts";
import { ingestDefaults } from "../../ingest/ingest.ts";
import { ingest } from "../../ingest/index.ts";
import { openStore, storeFolder } from "../../store/index.ts";
import { defaultReporter } from "../reporter.ts";
import { render } from "./run.ts";

interface Opts { store: string; json?: boolean; follow?: boolean; poll?: number; idle?: number; trainerState?: string; again?: boolean; out?: string }

export default async function (manifest: string, o: Opts): Promise<void> {
  const store = await openStore(o.store);
  const reporter = defaultReporter();
  const ac = new AbortController();
  let code = 130;
  const onSignal = (signal: NodeJS.Signals) => {
    code = signal === "SIGTERM" ? 143 : 130;
    if (ac.signal.aborted) process.exit(code); // a second Ctrl-C: stop now (each stored checkpoint is whole)
    reporter.stop();
    reporter.info("interrupt: storing the run as interrupted; ingest the same manifest again to continue");
    ac.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let started = false;
  try {
    const r = await ingest(manifest, {
      store, follow: o.follow, signal: ac.signal, pollMs: o.poll ?? ingestDefaults.pollMs, idleMs: o.idle === undefined ? undefined : o.idle * 1000,
      trainerState: o.trainerState, again: o.again,
      onWarning: (w) => reporter.info(`warning: ${w}`),
      onCheckpoint: (step, last) => {
        if (!started) { reporter.start(`ingest ${manifest}`, last); started = true; }
        reporter.update(step);
      },
    });
    reporter.stop();
    const s = r.summary;
    const out = o.out ?? join(storeFolder(o.store), "exports", s.runId);
    const { files } = await exportRun(store, s.runId, out);
    const verb = r.reused ? `already ingested as run ${s.runId} (use --again for a new run)` : r.resumed ? `continued run ${s.runId}` : `ingested as run ${s.runId}`;
    if (o.json) console.log(JSON.stringify({ ...s, store: store.url, exports: files, reused: r.reused, resumed: r.resumed }));
    else {
      const how = s.ingested as { records: number; skipped: { metric: string }[] };
      const agree = s.env.labelAgreement === null ? "" : `; the references agree on ${(100 * s.env.labelAgreement).toFixed(1)}% of the counterfactual probes`;
      const text = render(s, store.url, out).split("\n").filter((l) => !l.startsWith("resume with:"))
        .map((l) => (l.startsWith("world:") ? `probe log: ${how.records} records${agree}; not measurable from a log: ${how.skipped.map((k) => k.metric).join(", ") || "none"}` : l));
      if (s.status === "interrupted") text.push(`continue with: ecotone ingest ${manifest} --store ${store.url}${o.follow ? " --follow" : ""}`);
      console.log([`${manifest}: ${verb}`, ...text].join("\n"));
    }
    if (s.status === "interrupted" && ac.signal.aborted) process.exitCode = code;
  } finally {
    reporter.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await store.close().catch(() => {});
  }
}
