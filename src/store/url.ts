// Store URLs: which backend one names, and how it is shown. A PostgreSQL URL may carry a
// password; everything that prints, logs or stores a store URL shows redactUrl's form instead.

import { dirname } from "node:path";

/** Whether `url` names a PostgreSQL store (postgres:// or postgresql://). */
export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url.trim());

/** `url` with any password replaced by ***: postgres://me:***@host/db; a file path is returned as is. */
export function redactUrl(url: string): string {
  if (!isPostgresUrl(url)) return url;
  return redactText(url);
}

/**
 * `text` (an error message, a log line) with the password of every PostgreSQL URL in it replaced,
 * and any `password=...` parameter; `secrets` are replaced wherever they appear (the password
 * itself, when a driver quotes it without its URL).
 */
export function redactText(text: string, secrets: string[] = []): string {
  let out = text
    .replace(/(postgres(?:ql)?:\/\/[^:/?#@\s]*:)([^@\s]*)@/gi, "$1***@")
    .replace(/([?&;\s]password=)[^&\s]*/gi, "$1***");
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join("***");
  return out;
}

/** The password in a PostgreSQL URL (decoded), or undefined. */
export function urlPassword(url: string): string | undefined {
  if (!isPostgresUrl(url)) return undefined;
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return /:\/\/[^:/@]*:([^@]*)@/.exec(url)?.[1];
  }
}

/**
 * The local folder that goes with a store, where exports are written by default: the store
 * file's folder, or `.ecotone` in the working directory for a server (or in-memory) store.
 */
export function storeFolder(url: string, fallback = ".ecotone"): string {
  return isPostgresUrl(url) || url === ":memory:" ? fallback : dirname(url);
}
