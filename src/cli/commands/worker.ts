// `ecotone worker`: serve the sweep queue of a PostgreSQL store until Ctrl-C (or SIGTERM): running
// cells are then interrupted, resumable, and their jobs handed back for another worker.
import { runWorker } from "../../queue/worker.ts";
import type { Fault } from "../../sweep/runner.ts";

interface Opts { store: string; concurrency?: number; name?: string }

export default async function (o: Opts): Promise<void> {
  const ac = new AbortController();
  let interrupts = 0;
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const onSignal = () => {
    if (++interrupts > 1) process.exit(130); // a second Ctrl-C: at once (the cells resume elsewhere after their lease)
    log("stopping: interrupting the running cells (they stay resumable) and handing their jobs back; Ctrl-C again to quit at once");
    ac.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await runWorker({ url: o.store, concurrency: o.concurrency, name: o.name, signal: ac.signal, log, faults: testFaults() });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Test-only: ECOTONE_TEST_FAULTS='[{"match":"0.5","kind":"throw"}]' makes matching cells fail (see Fault). */
function testFaults(): Fault[] | undefined {
  const text = process.env.ECOTONE_TEST_FAULTS;
  return text ? (JSON.parse(text) as Fault[]) : undefined;
}
