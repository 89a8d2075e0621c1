// Worker threads cannot start from a .ts entry on Node 20, even under --import tsx: this plain
// module registers tsx inside the thread, then loads the TypeScript entry named in workerData.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";
register();
await import(workerData.entry);
