// Live runs: a Server-Sent Events stream per open run page. The training process writes its
// checkpoints to the store from another process (SQLite in WAL mode lets us read meanwhile), so
// the stream polls the run's last step and status and tells the page whenever either changes;
// the page then fetches the new figures. The stream ends once the run is no longer running.

import type { ServerResponse } from "node:http";
import type { RunStatus, Store } from "../store/types.ts";

export const liveDefaults = {
  pollMs: 1000, // how often an open stream asks the store for a new checkpoint
  pingMs: 15_000, // a comment line this often keeps proxies and idle timers from closing the stream
  retryMs: 2000, // the browser reconnects this long after a dropped stream
};

/** What each event carries: the page compares `step` with what it shows. */
export interface LiveEvent {
  step: number | null; // last checkpoint written; null before the first
  status: RunStatus;
}

/**
 * Streams `checkpoint` events for run `runId` (already known to exist) until the run stops
 * running, the client goes away, or `stop` is called (server shutdown).
 */
export function streamRun(store: Store, runId: string, res: ServerResponse, o: { pollMs?: number; log: (line: string) => void }): { stop: () => void } {
  const pollMs = o.pollMs ?? liveDefaults.pollMs;
  res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive" });
  res.write(`retry: ${liveDefaults.retryMs}\n\n`);
  let last: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const ping = setInterval(() => res.write(": ping\n\n"), liveDefaults.pingMs);
  const stop = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    clearInterval(ping);
    res.end();
  };
  res.on("close", stop);
  // One poll at a time (a slow store must not pile up queries): each schedules the next.
  const poll = async () => {
    try {
      const run = await store.getRun(runId);
      if (closed) return;
      if (!run) {
        res.write(`event: gone\ndata: {}\n\n`); // deleted meanwhile
        return stop();
      }
      const ev: LiveEvent = { step: (await store.lastStep(run.id)) ?? null, status: run.status };
      const text = JSON.stringify(ev);
      if (text !== last) res.write(`event: checkpoint\ndata: ${text}\n\n`);
      last = text;
      if (run.status !== "running") {
        res.write(`event: end\ndata: ${text}\n\n`);
        return stop();
      }
    } catch (e) {
      o.log(`ecotone ui: live stream of ${runId}: ${(e as Error).message}`); // e.g. the store is busy: try again
    }
    if (!closed) timer = setTimeout(poll, pollMs);
  };
  void poll();
  return { stop };
}
