// `ecotone ui`'s web server: the app's static files, the read-only JSON API and live streams, on
// node:http with no framework. Bound to 127.0.0.1 unless the caller says otherwise: the store
// holds unpublished research, and a dashboard is not a public service.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Store } from "../store/types.ts";
import { EcotoneError } from "../util/errors.ts";
import { errorReply, hostAllowed, hostNames, HttpError, originAllowed, securityHeaders, segment, sendJson, splitTarget } from "./_http.ts";
import { allowList, serveStatic } from "./_static.ts";
import * as api from "./api.ts";
import { streamRun } from "./live.ts";

export const dashboardDefaults = {
  host: "127.0.0.1", // loopback only: nobody else on the network can read the store
  port: 8420, // 0 picks a free port
};

export interface DashboardOptions {
  store: Store; // read only: the dashboard never writes
  host?: string;
  port?: number;
  pollMs?: number; // live streams' polling interval (see live.ts)
  log?: (line: string) => void; // server-side errors; stderr by default
}

export interface Dashboard {
  url: string; // e.g. http://127.0.0.1:7860/
  port: number;
  close(): Promise<void>; // ends live streams and stops listening; the store stays open
}

type Json = (store: Store, ids: string[], query: URLSearchParams) => Promise<unknown>;

// Path segments after /api → handler. `:id` segments are percent-decoded, then looked up in the store only.
const ROUTES: { pattern: string[]; handler: Json }[] = [
  { pattern: ["runs"], handler: (s, _, q) => api.listRuns(s, q) },
  { pattern: ["runs", ":id"], handler: (s, [id]) => api.getRun(s, id!) },
  { pattern: ["runs", ":id", "metrics"], handler: (s, [id], q) => api.getMetrics(s, id!, q) },
  { pattern: ["runs", ":id", "figures"], handler: (s, [id]) => api.getFigures(s, id!) },
  { pattern: ["sweeps"], handler: (s) => api.listSweeps(s) },
  { pattern: ["sweeps", ":id"], handler: (s, [id]) => api.getSweep(s, id!) },
  { pattern: ["compare"], handler: (s, _, q) => api.compare(s, q) },
  { pattern: ["classes"], handler: () => api.classes() },
];

function match(pattern: string[], parts: string[]): string[] | undefined {
  if (pattern.length !== parts.length) return undefined;
  const ids: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (pattern[i] === ":id") ids.push(segment(parts[i]!));
    else if (pattern[i] !== parts[i]) return undefined;
  }
  return ids;
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? dashboardDefaults.host;
  const log = o.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const files = allowList();
  const streams = new Set<{ stop: () => void }>();
  const names = hostNames(host);
  let port = 0; // known once listening

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    const head = req.method === "HEAD";
    if (!hostAllowed(req.headers.host, names, port)) throw new HttpError(403, `Host header refused: this dashboard answers only to ${[...names].slice(0, 4).join(", ")}${names.size > 4 ? ", ..." : ""} on port ${port}`);
    if (req.method !== "GET" && !head) {
      res.setHeader("Allow", "GET, HEAD");
      throw new HttpError(405, `read-only: ${req.method} is not allowed`);
    }
    const { path, query } = splitTarget(req.url);
    if (path === "/api" || path.startsWith("/api/")) {
      if (!originAllowed(req.headers.origin, names, port)) throw new HttpError(403, "Origin refused: the API answers only pages of this dashboard");
      const parts = path.split("/").slice(2);
      const live = match(["runs", ":id", "live"], parts);
      if (live) {
        const run = await api.findRun(o.store, live[0]!); // 404 before the stream starts
        const s = streamRun(o.store, run.id, res, { pollMs: o.pollMs, log });
        streams.add(s);
        res.on("close", () => streams.delete(s));
        return;
      }
      for (const r of ROUTES) {
        const ids = match(r.pattern, parts);
        if (ids) return sendJson(res, 200, await r.handler(o.store, ids, query), head);
      }
      throw new HttpError(404, `no API route ${path}`);
    }
    if (!(await serveStatic(files, path, res, head))) throw new HttpError(404, "not found");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const { status, error } = errorReply(e, log);
      if (res.headersSent) res.end(); // a stream that failed midway: just close it
      else sendJson(res, status, { error }, req.method === "HEAD");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "EADDRINUSE" ? new EcotoneError("E_ARGS", `ui: port ${o.port} on ${host} is in use (try --port 0 for any free port)`)
        : e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND" ? new EcotoneError("E_ARGS", `ui: cannot listen on host ${host}`) : e);
    });
    server.listen(o.port ?? dashboardDefaults.port, host, resolve);
  });
  server.on("error", (e) => log(`ecotone ui: ${e.message}`)); // e.g. out of file descriptors: log, keep serving
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: async () => {
      for (const s of streams) s.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
