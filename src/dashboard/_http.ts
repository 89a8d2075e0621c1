// Internal: the small HTTP vocabulary of the dashboard. JSON replies, errors mapped to status
// codes (a user's bad id is a 404, never a crash), security headers, and the Host check that
// keeps a page on another site from reading the store through DNS rebinding.

import type { IncomingMessage, ServerResponse } from "node:http";
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

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Is this address a loopback one, so that only loopback Host headers make sense? */
export const isLoopback = (host: string) => LOOPBACK_NAMES.has(host) || /^127\./.test(host);

/**
 * Bound to loopback, the server answers only requests addressed to a loopback name: a rebinding
 * page (evil.example resolving to 127.0.0.1) sends its own name as Host and is refused.
 */
export function hostAllowed(req: IncomingMessage, loopbackOnly: boolean): boolean {
  if (!loopbackOnly) return true;
  const host = req.headers.host;
  if (host === undefined) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return isLoopback(name.toLowerCase());
}
