// `ecotone ui [--store PATH] [--port N] [--host H]`: serve the dashboard until Ctrl-C.
import { existsSync } from "node:fs";
import { dashboardDefaults, startDashboard } from "../../dashboard/server.ts";
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";

export interface UiOptions {
  store: string;
  port?: number; // default dashboardDefaults.port; 0 picks a free one
  host?: string; // default 127.0.0.1
}

export default async function (o: UiOptions): Promise<void> {
  // Opening a missing file would create an empty store and show an empty dashboard; say so instead.
  if (o.store !== ":memory:" && !existsSync(o.store)) {
    throw new EcotoneError("E_NOT_FOUND", `no run store at ${o.store} (run an experiment first, or give --store)`);
  }
  const store = await openStore(o.store);
  const host = o.host ?? dashboardDefaults.host;
  const ui = await startDashboard({ store, host, port: o.port ?? dashboardDefaults.port }).catch(async (e: unknown) => {
    await store.close(); // e.g. the port is taken: release the store before reporting it
    throw e;
  });
  process.stderr.write(`ecotone ui: serving ${o.store} at ${ui.url} (Ctrl-C to stop)\n`);
  if (host !== dashboardDefaults.host && host !== "localhost") {
    process.stderr.write(`ecotone ui: listening on ${host}: anyone who can reach this address can read the store\n`);
  }
  // Serve until interrupted; then stop listening and release the store cleanly.
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await ui.close();
  await store.close();
}
