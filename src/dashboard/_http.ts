// Internal: the small HTTP vocabulary of the dashboard. JSON replies, errors mapped to status
// codes (a user's bad id is a 404, never a crash), security headers, and the Host and Origin
// checks that keep a page on another site from reading the store (DNS rebinding, cross-origin).

import type { ServerResponse } from "node:http";
import { hostname, networkInterfaces } from "node:os";
import { EcotoneError } from "../util/errors.ts";

/** Thrown by handlers for a reply other than 200; caught and sent as `{ error }` JSON. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// vega compiles its expressions with `new Function`, hence 'unsafe-eval'; nothing else is allowed
// to run, and nothing may be fetched from anywhere but this server.
const CSP = [
  "default-src 'none'", "script-src 'self' 'unsafe-eval'", "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:", "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join("; ");

export function securityHeaders(res: ServerResponse): void {
  res.setHeader("Content-Security-Policy", CSP);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
}

export function sendJson(res: ServerResponse, status: number, body: unknown, head = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(text) });
  res.end(head ? undefined : text);
}

/** Status and message for any error a handler threw; unknown errors are bugs, logged, and not echoed. */
export function errorReply(e: unknown, log: (line: string) => void): { status: number; error: string } {
  if (e instanceof HttpError) return { status: e.status, error: e.message };
  if (e instanceof EcotoneError) {
    const status = e.code === "E_NOT_FOUND" ? 404 : e.code === "E_ARGS" ? 400 : 500;
    if (status === 500) log(`ecotone ui: ${e.message}`);
    return { status, error: e.message };
  }
  log(`ecotone ui: internal error (a bug, please report it)\n${(e as Error)?.stack ?? e}`);
  return { status: 500, error: "internal error" };
}

/** The raw path and the query string of a request target, undecoded: paths are compared as written. */
export function splitTarget(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? "/";
  const q = raw.indexOf("?");
  return { path: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}

/** One URL path segment, percent-decoded; a malformed escape is the client's error. */
export function segment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `malformed path segment: ${s}`);
  }
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARDS = new Set(["0.0.0.0", "::", "[::]"]);

/** A host as it appears in a Host header or a URL: lowercase, an IPv6 address in brackets. */
const asHostName = (h: string) => (h.includes(":") && !h.startsWith("[") ? `[${h}]` : h).toLowerCase();

/**
 * The names requests may address this server by (its Host header): the loopback names, plus the
 * address it listens on when told to (`--host`); for a wildcard address, this machine's addresses
 * and name, as someone on the network would type them.
 */
export function hostNames(listen: string): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, asHostName(listen)]);
  if (WILDCARDS.has(listen)) {
    names.add(hostname().toLowerCase());
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) names.add(asHostName(a.address.replace(/%.*$/, "")));
  }
  return names;
}

/** `name[:port]`, or undefined when it is anything else (userinfo, a path, two ports...). */
function parseHost(h: string): { name: string; port: number | null } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]/@\s]+)(?::(\d{1,5}))?$/i.exec(h);
  return m ? { name: m[1]!.toLowerCase(), port: m[2] === undefined ? null : Number(m[2]) } : undefined;
}

/**
 * DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 reaches this
 * server with its own name as Host. Only the exact names of `hostNames`, with this server's port
 * (none only on port 80), are answered.
 */
export function hostAllowed(host: string | undefined, names: Set<string>, port: number): boolean {
  const h = host === undefined ? undefined : parseHost(host);
  return h !== undefined && names.has(h.name) && (h.port ?? 80) === port;
}

/**
 * A browser names the page that made a cross-origin request in its Origin header (a same-origin
 * GET has none): the API and the live streams answer only the dashboard's own origin.
 */
export function originAllowed(origin: string | undefined, names: Set<string>, port: number): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null": a sandboxed frame, a file:// page
  }
  return url.protocol === "http:" && url.pathname === "/" && url.username === "" && hostAllowed(url.host, names, port);
}
