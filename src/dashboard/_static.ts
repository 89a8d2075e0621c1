// Internal: the only files the dashboard serves. The allow-list maps exact request paths to files
// chosen by this code; the request path is a lookup key and never touches the filesystem, so
// `..`, encoded or double-encoded traversal, absolute paths and unlisted node_modules files all
// miss the map and get 404. The app's assets are listed once, at start, from assets/ (flat).

import { readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

const ASSETS = fileURLToPath(new URL("./assets/", import.meta.url));

/** Browser builds from node_modules, by package: the one file each that the page loads. */
const VENDOR: Readonly<Record<string, { pkg: string; file: string }>> = {
  "/vendor/vega.min.js": { pkg: "vega", file: "vega.min.js" }, // UMD bundle (d3 inside): defines window.vega
};

/** Where a package's built files live: next to the file its main export resolves to. */
function vendorFile(pkg: string, file: string): string {
  const main = fileURLToPath(import.meta.resolve(pkg)); // e.g. node_modules/vega/build/vega.module.js
  return join(main, "..", file);
}

/** Request path → absolute file. */
export function allowList(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(ASSETS)) {
    // Only plain files with plain names and a known type: no dotfiles, no folders, no links.
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name) || TYPES[extname(name)] === undefined) continue;
    const path = join(ASSETS, name);
    if (statSync(path).isFile()) files.set(`/assets/${name}`, path);
  }
  files.set("/", join(ASSETS, "index.html"));
  for (const [route, { pkg, file }] of Object.entries(VENDOR)) files.set(route, vendorFile(pkg, file));
  return files;
}

/** Sends the listed file for `path`; false when the path is not listed. */
export async function serveStatic(files: ReadonlyMap<string, string>, path: string, res: ServerResponse, head: boolean): Promise<boolean> {
  const file = files.get(path);
  if (file === undefined) return false;
  const body = await readFile(file);
  res.writeHead(200, {
    "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
    "Content-Length": body.length,
    // Vendor builds are pinned; the app's own files change while developing, so revalidate them.
    "Cache-Control": path.startsWith("/vendor/") ? "public, max-age=86400" : "no-cache",
  });
  res.end(head ? undefined : body);
  return true;
}
