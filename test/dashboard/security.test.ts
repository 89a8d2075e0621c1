// Nothing outside the app's assets (and the store, through the API) can be read through the
// server: traversal in every spelling, absolute paths, the store file itself, and node_modules
// files that are not on the allow-list all get 404, and the process stays up. Nor can a page of
// another site read it, by DNS rebinding or cross-origin requests.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hostAllowed, hostNames } from "../../src/dashboard/_http.ts";
import { startDashboard, type Dashboard } from "../../src/dashboard/server.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { get } from "./_client.ts";
import { tempDir } from "./_fixtures.ts";

let store: Store;
let ui: Dashboard;
let secretDir: string;
const SECRET = "ecotone-secret-7f3a";

before(async () => {
  secretDir = tempDir("security");
  writeFileSync(join(secretDir, "secret.txt"), SECRET); // beside the store: must stay unreadable
  store = await openStore(join(secretDir, "runs.db"));
  ui = await startDashboard({ store, port: 0, log: () => {} });
});
after(async () => {
  await ui.close();
  await store.close();
  rmSync(secretDir, { recursive: true, force: true });
});

const packageJson = readFileSync("package.json", "utf8");

describe("path traversal and unlisted files", () => {
  const attempts = [
    "/../package.json", "/assets/../package.json", "/assets/../../../../etc/passwd",
    "/assets/..%2f..%2fpackage.json", "/assets/%2e%2e/%2e%2e/package.json", "/assets/%2e%2e%2f%2e%2e%2fpackage.json",
    "/assets/%252e%252e%252fpackage.json", "/assets/..%252f..%252fpackage.json", "/%2e%2e/%2e%2e/etc/passwd",
    "/assets/..\\..\\package.json", "/assets/..%5c..%5cpackage.json",
    "/etc/passwd", "//etc/passwd", "/%2fetc%2fpasswd", "/assets//etc/passwd", "/assets/%2fetc%2fpasswd",
    `/${secretDir}/secret.txt`, `/assets/${encodeURIComponent(join(secretDir, "secret.txt"))}`, "/runs.db", "/secret.txt",
    "/node_modules/vega/package.json", "/node_modules/vega/build/vega.min.js", "/vendor/vega.js", "/vendor/vega.module.js",
    "/vendor/../package.json", "/vendor/vega-lite.min.js", "/vendor/%2e%2e/package.json", "/vendor/vega.min.js/../../package.json",
    "/assets/", "/assets", "/assets/.", "/assets/app.js%00.png", "/assets/APP.JS", "/index.html/..", "/src/dashboard/server.ts",
    "/assets/" + "a".repeat(5000),
  ];
  for (const path of attempts) {
    it(`404 for ${path.length > 60 ? path.slice(0, 60) + "…" : path}`, async () => {
      const r = await get(ui.url, path);
      assert.ok(r.status === 404 || r.status === 400, `status ${r.status}`);
      assert.ok(!r.body.includes(SECRET) && !r.body.includes("root:x:") && !r.body.includes('"name": "ecotone"'), "no file content leaked");
      assert.notEqual(r.body, packageJson);
    });
  }

  it("still serves the app and its allow-listed vendor build afterwards", async () => {
    const index = await get(ui.url, "/");
    assert.equal(index.status, 200);
    assert.match(index.body, /<script src="\/vendor\/vega.min.js">/);
    assert.match(String(index.headers["content-security-policy"]), /default-src 'none'/);
    assert.equal(index.headers["x-content-type-options"], "nosniff");
    const vega = await get(ui.url, "/vendor/vega.min.js");
    assert.equal(vega.status, 200);
    assert.match(String(vega.headers["content-type"]), /^text\/javascript/);
    assert.ok(vega.body.length > 100_000, "the whole bundle");
    const app = await get(ui.url, "/assets/app.js?v=1");
    assert.equal(app.status, 200, "a query string does not change the file");
    assert.equal((await get(ui.url, "/api/runs")).json().total, 0);
  });
});

// DNS rebinding: a page on a name the attacker controls, made to resolve to 127.0.0.1, sends that
// name as Host. Only the exact loopback names with this server's port are answered; a page of
// another origin may not read the API or the live streams either.
describe("Host and Origin", () => {
  const refused = (port: number) => [
    "127.0.0.1.evil.example", `127.0.0.1.evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.evil.example:${port}`,
    "127.evil.example", "evil.example", `evil.example:${port}`, `localhost.:${port}`, `0.0.0.0:${port}`, `127.0.0.2:${port}`,
    `127.0.0.1:${port}@evil.example`, `127.0.0.1:${port}/x`, `localhost:${port + 1}`, "localhost", `[::1]x:${port}`,
  ];
  it("refuses every Host but localhost, 127.0.0.1 and [::1] with its port", async () => {
    for (const host of refused(ui.port)) {
      const r = await get(ui.url, "/api/runs", { headers: { Host: host } });
      assert.equal(r.status, 403, `Host: '${host}'`);
      assert.match(r.json().error, /Host header refused/);
      assert.equal((await get(ui.url, "/", { headers: { Host: host } })).status, 403, `Host: '${host}' for the app`);
    }
    for (const host of [`localhost:${ui.port}`, `127.0.0.1:${ui.port}`, `[::1]:${ui.port}`, `LOCALHOST:${ui.port}`])
      assert.equal((await get(ui.url, "/api/runs", { headers: { Host: host } })).status, 200, `Host: '${host}'`);
    // HTTP/1.0 needs no Host header (node's client always sends one: a raw request)
    const raw = await new Promise<string>((resolve) => {
      const sock = connect(ui.port, "127.0.0.1", () => sock.end("GET /api/runs HTTP/1.0\r\n\r\n"));
      let got = "";
      sock.on("data", (d) => (got += d)).on("close", () => resolve(got));
    });
    assert.match(raw, /^HTTP\/1\.1 403 /, "no Host header");
  });

  it("refuses an API or live request from another origin; the dashboard's own and none are fine", async () => {
    const p = ui.port;
    for (const origin of ["http://evil.example", `http://127.0.0.1.evil.example:${p}`, "null", `https://127.0.0.1:${p}`, `http://127.0.0.1:${p + 1}`, "http://localhost", "file://"]) {
      for (const path of ["/api/runs", "/api/runs/rnope0000000/live", "/api/classes"]) {
        const r = await get(ui.url, path, { headers: { Origin: origin } });
        assert.equal(r.status, 403, `Origin: ${origin} ${path}`);
        assert.match(r.json().error, /Origin refused/);
      }
    }
    for (const origin of [`http://127.0.0.1:${p}`, `http://localhost:${p}`, `http://[::1]:${p}`])
      assert.equal((await get(ui.url, "/api/runs", { headers: { Origin: origin } })).status, 200, `Origin: ${origin}`);
    assert.equal((await get(ui.url, "/api/runs")).status, 200, "no Origin: a same-origin GET");
    assert.equal((await get(ui.url, "/", { headers: { Origin: "http://evil.example" } })).status, 200, "the app's own files are public");
  });

  it("with --host, also answers to that host, and still to nothing else", async () => {
    const wide = await startDashboard({ store, host: "127.0.0.2", port: 0, log: () => {} });
    try {
      const p = wide.port;
      assert.equal((await get(wide.url, "/api/runs")).status, 200, "127.0.0.2 as Host");
      assert.equal((await get(wide.url, "/api/runs", { headers: { Host: `localhost:${p}` } })).status, 200);
      assert.equal((await get(wide.url, "/api/runs", { headers: { Host: `127.0.0.2.nip.io:${p}` } })).status, 403);
      assert.equal((await get(wide.url, "/api/runs", { headers: { Host: `127.0.0.3:${p}` } })).status, 403);
      assert.equal((await get(wide.url, "/api/runs", { headers: { Origin: `http://127.0.0.2:${p}` } })).status, 200);
    } finally {
      await wide.close();
    }
    const names = hostNames("0.0.0.0");
    assert.ok(names.has("localhost") && names.has("0.0.0.0") && names.has(hostname().toLowerCase()), "a wildcard: this machine's names and addresses");
    assert.ok(!names.has("evil.example"));
    assert.equal(hostAllowed("[::1]:80", hostNames("::"), 80), true);
    assert.equal(hostAllowed("localhost", hostNames("127.0.0.1"), 80), true, "no port: port 80");
  });
});
