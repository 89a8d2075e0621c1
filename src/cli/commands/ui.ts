// `ecotone ui [--store PATH] [--port N] [--host H]`: serve the dashboard until Ctrl-C.
import { existsSync, statSync } from "node:fs";
import { dashboardDefaults, startDashboard } from "../../dashboard/server.ts";
import { damaged, isPostgresUrl, openStore, redactUrl, storeDefaults } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";

export interface UiOptions {
  store: string;
  port?: number; // default dashboardDefaults.port; 0 picks a free one
  host?: string; // default 127.0.0.1
}

export default async function (o: UiOptions): Promise<void> {
  // Opening a missing file would create an empty store and show an empty dashboard; say so instead.
  const file = o.store !== ":memory:" && !isPostgresUrl(o.store); // a server store is checked by opening it
  if (file && !existsSync(o.store)) {
    throw new EcotoneError("E_NOT_FOUND", `no run store at ${o.store} (run an experiment first, or give --store)`);
  }
  // Read-only: the dashboard never writes, so a store in a read-only folder can be served.
  const store = await openStore(o.store, { readonly: true });
  // A damaged store is still served (what can be read, can be seen), with a word about it.
  if (!file || statSync(o.store).size <= storeDefaults.checkMaxBytes) {
    const problem = await store.integrity().then((p) => p && damaged(o.store, p).message, (e: Error) => e.message); // unreadable: damaged too
    if (problem !== null) process.stderr.write(`ecotone ui: warning: ${problem}\n`);
  }
  const host = o.host ?? dashboardDefaults.host;
  const ui = await startDashboard({ store, host, port: o.port ?? dashboardDefaults.port }).catch(async (e: unknown) => {
    await store.close(); // e.g. the port is taken: release the store before reporting it
    throw e;
  });
  process.stderr.write(`ecotone ui: serving ${redactUrl(o.store)} at ${ui.url} (Ctrl-C to stop)\n`);
  if (host !== dashboardDefaults.host && host !== "localhost") {
    process.stderr.write(`ecotone ui: listening on ${host}: anyone who can reach this address can read the store (requests must name it, or a loopback name, as Host)\n`);
  }
  // Serve until interrupted; then stop listening and release the store cleanly.
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await ui.close();
  await store.close();
}
