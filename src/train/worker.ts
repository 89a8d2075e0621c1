// Worker-thread entry: trains one shard and streams its events to the parent.
import { parentPort, workerData } from "node:worker_threads";
import { init } from "@jax-js/jax";
import { loadSpecPlugins } from "../components/plugins.ts";
import { parseSpec } from "../experiment/load.ts";
import { makePlan } from "./plan.ts";
import { ShardTrainer, type Reference } from "./shard.ts";
import { waitForStore } from "./gate.ts";

export interface ShardJob {
  spec: unknown; // validated spec, re-parsed here
  seeds: number[];
  from: number; // first step to train
  state?: Float32Array; // state after step `from` (resume)
  wantState: boolean;
  reference?: Reference; // weighted-sum baselines' outputs, whole ensemble
  gate?: SharedArrayBuffer; // a WriteGate's count of checkpoints written (gate.ts)
  ahead: number; // how many checkpoints this shard may hand over beyond it
}

const job = workerData as ShardJob;
await init("wasm");
await loadSpecPlugins(job.spec); // a plugin's components must be registered in this thread too
const trainer = new ShardTrainer(makePlan(parseSpec(job.spec)), job.seeds, job.reference);
if (job.state) trainer.restore(job.state, job.from);
let stopped = false;
const onMessage = (m: unknown) => { if (m === "stop") stopped = true; };
parentPort!.on("message", onMessage);
let handed = 0; // checkpoints handed over
for (const ev of trainer.run(job.from, undefined, job.wantState)) {
  parentPort!.postMessage(ev);
  // Yield to the event loop now and then so a "stop" message can arrive.
  if (ev.type === "progress") await new Promise((r) => setImmediate(r));
  if (ev.type === "checkpoint" && job.gate) await waitForStore(job.gate, ++handed - job.ahead, () => stopped);
  if (stopped) break;
}
parentPort!.postMessage({ type: "done" });
parentPort!.off("message", onMessage); // nothing left holding the thread open: it exits
