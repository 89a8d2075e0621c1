// A run in which every seed diverged learned nothing: it ends `diverged`, not `completed`, the CLI
// exits with 3, and a sweep cell whose run diverged entirely is failed, with that as its error.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStore } from "../../src/store/index.ts";
import { runSweep } from "../../src/sweep/runner.ts";
import { expandSweep } from "../../src/sweep/spec.ts";
import { ecotone, leaksStack, peek, scratch, spec, specFile } from "./_cli.ts";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const dir = () => { const d = scratch("div"); dirs.push(d); return d; };

describe("every seed diverged", () => {
  it("`ecotone run` ends the run diverged and exits with 3; the report shows it", async () => {
    const cwd = dir();
    const r = ecotone(cwd, "run", specFile(cwd, "blowup", spec("blowup", 60, ", optimizer: sgd, lr: 10000")), "--store", "runs.db", "--json");
    assert.equal(r.status, 3, r.stderr);
    assert.ok(!leaksStack(r.stderr), r.stderr);
    assert.match(r.stderr, /^ecotone: every seed of run r\w+ diverged/m);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, "diverged");
    assert.equal(out.diverged.length, 2);
    assert.equal(await peek(join(cwd, "runs.db"), async (s) => (await s.getRun(out.runId))!.status), "diverged");
    const rep = ecotone(cwd, "report", out.runId, "--store", "runs.db", "-o", "r.html");
    assert.equal(rep.status, 0, rep.stderr);
    assert.match(readFileSync(join(cwd, "r.html"), "utf8"), /<dd>diverged<\/dd>/);
  });

  it("a sweep cell whose run diverged entirely is failed with the error \"every seed diverged\"", { timeout: 60_000 }, async () => {
    const store = await openStore(join(dir(), "runs.db"));
    try {
      const sweep = expandSweep({
        name: "div-sweep", seeds: 2,
        base: { world: { content: 12, cue: 4, classes: 4 }, envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }], schedule: { kind: "blocks", phaseSteps: 20 }, model: { hidden: [16] }, train: { steps: 60, evalEvery: 20, batch: 16, probes: 32, optimizer: "sgd" } },
        grid: { "train.lr": [0.01, 10000] },
      });
      const events: { type: string; error: string | null }[] = [];
      const out = await runSweep(sweep, { store, workers: 2, onCell: (e) => events.push({ type: e.type, error: e.error }) });
      assert.deepEqual([out.status, out.completed, out.failed], ["failed", 1, 1]);
      const cells = await store.sweepCells(out.sweepId);
      const bad = cells.find((c) => c.params["train.lr"] === 10000)!;
      assert.deepEqual([bad.status, bad.error], ["failed", "every seed diverged"]);
      assert.equal((await store.getRun(bad.runId!))!.status, "diverged", "the run keeps its own outcome");
      assert.deepEqual(events.map((e) => e.error).sort(), ["every seed diverged", null]);
    } finally {
      await store.close();
    }
  });
});
