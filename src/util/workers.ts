import { Worker } from "node:worker_threads";

/** Starts a worker thread running a TypeScript module (`entry`, a file URL); `data` arrives as workerData. */
export function tsWorker(entry: URL, data: object): Worker {
  return new Worker(new URL("./ts-worker.mjs", import.meta.url), { workerData: { ...data, entry: entry.href } });
}
