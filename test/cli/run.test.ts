// The CLI as a user meets it: a real process, real files, real signals.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../../src/store/index.ts";

const bin = join(import.meta.dirname, "../../bin/ecotone.js");
const dir = mkdtempSync(join(tmpdir(), "ecotone-cli-"));
const ecotone = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });

const tiny = (extra = "", steps = 80) => `
name: cli-tiny
seeds: 3
world: { content: 12, cue: 4, classes: 4 }
envs: [{ name: A, objective: sft }, { name: B, objective: reward }]
schedule: { kind: blocks, phaseSteps: 20 }
model: { hidden: [16] }
train: { steps: ${steps}, evalEvery: 20, batch: 16, probes: 32 }
${extra}`;

function specFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("ecotone run", () => {
  it("prints one JSON object with the run's results and writes loadable exports", () => {
    const r = ecotone("run", specFile("ok.yaml", tiny()), "--store", "s1/runs.db", "--json");
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.runId, /^r[0-9a-f]{11}$/);
    assert.equal(out.status, "completed");
    assert.equal(out.steps, 80);
    assert.equal(out.seeds, 3);
    assert.equal(out.volatility, 3 / 80);
    for (const env of ["A", "B"]) {
      assert.equal(typeof out.performance[env].mean, "number");
      assert.equal(typeof out.performance[env].sd, "number");
      assert.equal(out.performance[env].n, 3);
    }
    assert.deepEqual(out.diverged, []);
    const csv = readFileSync(join(dir, "s1/exports", out.runId, "metrics.csv"), "utf8").trim().split("\n");
    assert.equal(csv[0], "step,seed,key,value");
    assert.ok(csv.length > 100);
    assert.match(r.stderr, /step 80\/80/); // progress went to stderr
  });

  it("the same spec run twice prints the same --json, its ids aside; where the time went goes to stderr", () => {
    const spec = specFile("twice.yaml", tiny());
    const a = ecotone("run", spec, "--store", "s1b/runs.db", "--json"), b = ecotone("run", spec, "--store", "s1c/runs.db", "--json");
    for (const r of [a, b]) {
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /^time: [\d.]+ s; in the training threads [\d.]+ s of training, [\d.]+ s of live metrics \(\d+%\)/m);
    }
    const results = (text: string) => {
      const { runId, store, exports, ...rest } = JSON.parse(text);
      assert.ok(runId && store && exports);
      return rest;
    };
    assert.equal("timing" in JSON.parse(a.stdout), false, "timings differ run to run: not in the results");
    assert.deepEqual(results(a.stdout), results(b.stdout));
  });

  it("prints every environment's performance with its spread for a human", () => {
    const r = ecotone("run", specFile("ok2.yaml", tiny()), "--store", "s2/runs.db");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^A\s+\d\.\d{3} ± \d\.\d{3}/m);
    assert.match(r.stdout, /^B\s+\d\.\d{3} ± \d\.\d{3}/m);
  });

  it("rejects a misspelt key, naming it and the nearest valid key, and writes nothing", () => {
    const r = ecotone("run", specFile("bad.yaml", tiny().replace("phaseSteps", "phaseStep")), "--store", "s3/runs.db");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown key "phaseStep" at schedule \(did you mean "phaseSteps"\?\)/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // a user error, not a stack trace
    assert.equal(existsSync(join(dir, "s3")), false);
  });

  it("reports a spec that does not exist", () => {
    const r = ecotone("run", "nope.yaml", "--store", "s4/runs.db");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot read spec file: nope\.yaml/);
  });

  it("Ctrl-C leaves a consistent store, and --resume finishes the run", async () => {
    const spec = specFile("long.yaml", tiny("", 4000));
    const child = spawn(process.execPath, [bin, "run", spec, "--store", "s5/runs.db", "--json", "--threads", "1"], { cwd: dir, env: { ...process.env, CI: "1" } });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
      if (/step (4|8|12)\d\d\/4000/.test(err) && !child.killed) child.kill("SIGINT");
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const code = await new Promise((r) => child.on("exit", r));
    assert.equal(code, 130, err);
    const first = JSON.parse(out);
    assert.equal(first.status, "interrupted");
    const store = await openStore(join(dir, "s5/runs.db"));
    const run = (await store.getRun(first.runId))!;
    assert.equal(run.status, "interrupted");
    const last = (await store.lastStep(run.id))!;
    const atLast = (await store.metrics(run.id, { fromStep: last })).filter((p) => p.step === last);
    // Every seed's every metric of the last checkpoint is there, and the same keys as the one before.
    const keys = (pts: typeof atLast) => [...new Set(pts.filter((p) => p.seed >= 0).map((p) => p.key))].sort();
    for (const k of keys(atLast)) assert.deepEqual(atLast.filter((p) => p.key === k).map((p) => p.seed), [0, 1, 2], k);
    const prev = (await store.metrics(run.id, { fromStep: last - 20 })).filter((p) => p.step === last - 20);
    assert.deepEqual(keys(atLast), keys(prev));
    assert.ok(keys(atLast).includes("perf/acc:B") && keys(atLast).includes("behav/churn"));
    assert.equal((await store.loadState(run.id))!.step, last);
    await store.close();
    assert.match(ecotone("run", "--resume", first.runId, "--store", "s5/runs.db", "--steps", "10").stderr, /takes no spec file, --seeds, --steps or --baselines/);
    const r = ecotone("run", "--resume", first.runId, "--store", "s5/runs.db", "--json");
    assert.equal(r.status, 0, r.stderr);
    const done = JSON.parse(r.stdout);
    assert.equal(done.status, "completed");
    assert.equal(done.lastStep, 4000);
  });
});

describe("ecotone bench", () => {
  it("--json prints model-steps/s and GFLOP/s per row, for each engine", () => {
    const r = ecotone("bench", "--json", "--seeds", "2", "--threads", "1,2", "--seconds", "1");
    assert.equal(r.status, 0, r.stderr);
    const { results } = JSON.parse(r.stdout);
    const rows = results.map((x: any) => `${x.engine} ${x.seeds}×${x.threads}`).sort();
    assert.deepEqual(rows, ["fused 2×1", "fused 2×2", "jax 2×1", "jax 2×2"]);
    for (const x of results) assert.ok(x.modelStepsPerSec > 0 && x.gflops > 0);
  });
});
