// Nothing outside the app's assets (and the store, through the API) can be read through the
// server: traversal in every spelling, absolute paths, the store file itself, and node_modules
// files that are not on the allow-list all get 404, and the process stays up.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
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
