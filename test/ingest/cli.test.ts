// `ecotone ingest` and `ecotone export` as a user runs them: the example log, --json, a bad log's
// located message and exit status 1, and Ctrl-C while following (exit 130, the run interrupted).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../../src/store/index.ts";
import { python, root, scripted, tempDir } from "./_fixtures.ts";

const bin = join(root, "bin/ecotone.js");
const ecotone = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, CI: "1" } });

describe("ecotone ingest / export on the command line", () => {
  it("ingests the example log: --json gives the class with its interval, and exports are written", () => {
    const store = join(tempDir("cli"), "runs.db");
    const r = ecotone(["ingest", join(root, "examples/probe-log/manifest.json"), "--store", store, "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.classification.label, "strategy-churn");
    assert.ok(out.classification.ci["strategy-churn"].lo > out.classification.ci["ecological-generalist"].hi);
    assert.equal(out.ingested.format, "ecotone-probe-log/1");
    assert.ok(out.exports.every((f: string) => existsSync(f)));
  });

  it("refuses a bad log with the file and line, exit status 1", () => {
    const r = ecotone(["ingest", join(root, "examples/probe-log/scripted_run.py"), "--store", join(tempDir("cli-bad"), "runs.db")]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ecotone: .*scripted_run\.py: not valid JSON/);
    const e = ecotone(["export", "nope", "--probe-log", tempDir("cli-export"), "--store", join(tempDir("cli-bad2"), "runs.db")]);
    assert.equal(e.status, 1);
    assert.match(e.stderr, /ecotone: no run with id nope/);
  });

  it("stops following on Ctrl-C with exit status 130, the run interrupted and resumable", { skip: python ? false : "no python3 on this machine" }, async () => {
    const dir = tempDir("cli-follow");
    const manifest = scripted(join(dir, "log"), ["--pattern", "churn", "--stop-after", "4"]);
    const store = join(dir, "runs.db");
    const child = spawn(process.execPath, [bin, "ingest", manifest, "--store", store, "--follow", "--poll", "20"], { env: { ...process.env, CI: "1" } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    for (let i = 0; i < 300 && !/step 150\/1200/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(stderr, /step 150\/1200/, "the four checkpoints were read");
    child.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
    assert.match(stdout, /continue with: ecotone ingest .* --follow/);
    const s = await openStore(store, { readonly: true });
    try {
      const [run] = await s.listRuns();
      assert.equal(run!.status, "interrupted");
      assert.equal(await s.lastStep(run!.id), 150);
    } finally {
      await s.close();
    }
  });
});
