// One bench shard in a worker thread: waits for "go" so all shards start together.
import { parentPort, workerData } from "node:worker_threads";
import { timeWorkload, type BenchEngine } from "./workload.ts";

const { seeds, minSeconds, engine } = workerData as { seeds: number; minSeconds: number; engine: BenchEngine };
parentPort!.once("message", async () => {
  parentPort!.postMessage(await timeWorkload(seeds, minSeconds, engine));
});
parentPort!.postMessage("ready");
