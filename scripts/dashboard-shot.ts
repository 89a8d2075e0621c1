// The README's dashboard picture, taken again: trains the quickstart into a fresh store (or takes
// a stored run), serves the dashboard on a free loopback port and photographs the run's page in
// Debian's Chromium (the browser the tests use).
//
//   node --import tsx scripts/dashboard-shot.ts [--store F --run ID] [-o docs/dashboard.png]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startDashboard } from "../src/dashboard/server.ts";
import { openStore } from "../src/store/index.ts";

const { values: o } = parseArgs({ options: { store: { type: "string" }, run: { type: "string" }, o: { type: "string", short: "o", default: "docs/dashboard.png" } } });
const chromiumPath = process.env.ECOTONE_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath}: apt-get install -y chromium`);
const root = join(import.meta.dirname, "..");

let dir: string | undefined, storePath = o.store, runId = o.run;
if (!storePath) {
  dir = mkdtempSync(join(tmpdir(), "ecotone-shot-"));
  storePath = join(dir, "runs.db");
  const r = spawnSync(process.execPath, [join(root, "bin/ecotone.js"), "run", join(root, "examples/quickstart.yaml"), "--store", storePath, "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`the quickstart failed (exit ${r.status})`);
  runId = JSON.parse(r.stdout).runId;
}
if (!runId) throw new Error("--store needs --run");

const store = await openStore(storePath);
const ui = await startDashboard({ store, host: "127.0.0.1", port: 0 });
const { chromium } = await import("playwright-core");
const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const hash = `#/run/${runId}`;
  await page.goto(ui.url + hash);
  await page.waitForSelector(`section[data-route="${hash}"][data-ready]`, { timeout: 30_000 });
  await page.screenshot({ path: o.o });
  console.log(`${o.o}: run ${runId}`);
} finally {
  await browser.close();
  await ui.close();
  await store.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
