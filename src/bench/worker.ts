// One bench shard in a worker thread: waits for "go" so all shards start together.
import { parentPort, workerData } from "node:worker_threads";
import { timeWorkload } from "./workload.ts";

const { seeds, minSeconds } = workerData as { seeds: number; minSeconds: number };
parentPort!.once("message", async () => {
  parentPort!.postMessage(await timeWorkload(seeds, minSeconds));
});
parentPort!.postMessage("ready");
