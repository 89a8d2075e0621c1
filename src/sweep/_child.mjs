// Internal: a sweep's cell process starts here. Node cannot fork a .ts entry without a loader,
// so this plain module registers tsx, then loads the TypeScript cell runner.
import { register } from "tsx/esm/api";
register();
await import("./cell.ts");
