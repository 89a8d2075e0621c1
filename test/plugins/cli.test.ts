// examples/plugins.yaml as a user meets it: the CLI run, its report, the dashboard's API, and a
// sweep whose cells (child processes) load the plugins themselves.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startDashboard, type Dashboard } from "../../src/dashboard/server.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { get } from "../dashboard/_client.ts";

const root = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "ecotone-plugins-"));
const ecotone = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, "bin/ecotone.js"), ...args], { encoding: "utf8", cwd: root, env: { ...process.env, CI: "1" } });
after(() => rmSync(dir, { recursive: true, force: true }));

describe("ecotone run examples/plugins.yaml", () => {
  const store = join(dir, "run/runs.db");
  let out: any;
  before(() => {
    const r = ecotone("run", "examples/plugins.yaml", "--json", "--store", store);
    assert.equal(r.status, 0, r.stderr);
    out = JSON.parse(r.stdout);
  });

  it("completes, with the plugin world's environments and the plugin metric in the JSON", () => {
    assert.equal(out.status, "completed");
    assert.deepEqual(Object.keys(out.performance), ["add", "sub", "add2b"]);
    for (const env of ["add", "sub", "add2b"]) {
      assert.equal(out.performance[env].n, 8);
      assert.equal(typeof out.headline[`conf/max:${env}`].mean, "number", `headline conf/max:${env}`);
      assert.equal(typeof out.final[`conf/gap:${env}`].mean, "number", `final conf/gap:${env}`);
      assert.equal(typeof out.confidence[env], "number", "the metric's summary() field");
    }
    assert.equal(out.env.labelAgreement, 1 / 7); // a + b ≡ a − b only where b = 0
    assert.ok(out.performance.add.mean > 0.5 && out.performance.sub.mean > 0.5, JSON.stringify(out.performance));
    // Off its training distribution the ensemble is near chance and still confident: overconfident.
    assert.ok(out.final["conf/gap:add2b"].mean > out.final["conf/gap:add"].mean + 0.3, JSON.stringify(out.final["conf/gap:add2b"]));
  });

  it("writes a report that titles the plugin metric", () => {
    const html = join(dir, "x.html");
    const r = ecotone("report", out.runId, "--store", store, "-o", html);
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(html, "utf8");
    assert.match(text, /confidence on add2b/);
    assert.match(text, /confidence \(mean max-probability\)/);
  });

  describe("the dashboard API", () => {
    let reader: Store, ui: Dashboard;
    before(async () => {
      reader = await openStore(store);
      ui = await startDashboard({ store: reader, port: 0, pollMs: 50, log: () => {} });
    });
    after(async () => {
      await ui.close();
      await reader.close();
    });
    const json = async (path: string) => {
      const r = await get(ui.url, path);
      assert.equal(r.status, 200, `${path}: ${r.body}`);
      return r.json();
    };

    it("serves the plugin metric's points", async () => {
      const { points } = await json(`/api/runs/${out.runId}/metrics?keys=conf/max:sub`);
      assert.equal(points.length, 8 * 13, "8 seeds × 13 checkpoints");
      assert.ok(points.every((p: any) => p.key === "conf/max:sub" && p.value >= 0 && p.value <= 1));
    });

    it("draws a figure for the plugin metric's panel, though this process never loaded the plugin", async () => {
      const { figures } = await json(`/api/runs/${out.runId}/figures`);
      const fig = figures.find((f: any) => f.title === "confidence (mean max-probability)");
      assert.ok(fig, figures.map((f: any) => f.title).join(" | "));
      const spec = JSON.stringify(fig.spec); // one line per environment, on the descriptor's axis
      assert.ok(spec.includes('"title":"mean max-probability"') && spec.includes('"add2b"'), "axis title and the novel env's line");
    });
  });
});

describe("ecotone sweep examples/plugins-sweep.yaml", () => {
  it("completes every cell in cell processes that load the plugins", () => {
    const r = ecotone("sweep", "examples/plugins-sweep.yaml", "--workers", "2", "--store", join(dir, "sweep/runs.db"), "--json");
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.cells.length, 4);
    for (const c of out.cells) {
      assert.equal(c.status, "completed", JSON.stringify(c));
      assert.deepEqual(Object.keys(c.performance).sort(), ["add", "add2b", "sub"]);
    }
    // Without a cue there is nothing to route on; with one and a wide stream the ensemble routes.
    const label = (d: number, w: number) => out.cells.find((c: any) => c.params["world.distinguishability"] === d && c.params["model.width"] === w).label;
    assert.notEqual(label(0, 8), "conditional-policy");
    assert.notEqual(label(0, 64), "conditional-policy");
    assert.equal(label(1, 64), "conditional-policy");
  });
});
