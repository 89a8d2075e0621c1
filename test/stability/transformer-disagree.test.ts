// Disagreement search over token inputs between two stored transformer members: on a prompt space
// small enough to enumerate, the exhaustive maximum is the known answer the search is held to.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../../src/experiment/load.ts";
import { disagreeTokenRuns, promptScorer } from "../../src/stability/disagree-tokens.ts";
import { disposeMember, loadAnyMember } from "../../src/stability/inspect.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { runExperiment } from "../../src/train/run.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import disagreeCommand from "../../src/cli/commands/disagree.ts";

const spec = (seed: number) => parseSpec({
  name: "tiny-transformer", seed, seeds: 2,
  world: { kind: "tokens", symbols: 3, content: 2, trigger: 1, distinguishability: 1, similarity: 0 },
  envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }],
  schedule: { kind: "mixture" },
  model: { kind: "transformer", layers: 1, dModel: 8, heads: 2, mlp: 16 },
  train: { optimizer: "adam", lr: 0.01, steps: 40, evalEvery: 20, batch: 16, probes: 8 },
});

let store: Store;
let a: string, b: string;
before(async () => {
  store = await openStore(":memory:");
  a = (await runExperiment(spec(0), { store, threads: 1 })).runId;
  b = (await runExperiment(spec(5), { store, threads: 1 })).runId;
});

describe("disagreement over token prompts", () => {
  it("finds no disagreement between a member and itself", async () => {
    const r = await disagreeTokenRuns(store, a, a, { seedA: 1, samples: 16, rounds: 1 });
    assert.equal(r.kl, 0);
    assert.equal(r.probes.exactAgreement, 1);
    assert.deepEqual(r.completion.a, r.completion.b);
  });

  it("beats the random prompts and never exceeds the exhaustive maximum over every prompt", async () => {
    const r = await disagreeTokenRuns(store, a, b, { seedA: 0, seedB: 1, samples: 16, rounds: 3 });
    assert.ok(r.kl >= r.randomMaxKl && r.kl > 0, `search ${r.kl} vs random ${r.randomMaxKl}`);
    assert.ok(Math.abs(r.kl - r.klPerToken.reduce((s, v) => s + v, 0) / r.klPerToken.length) < 1e-9);
    assert.deepEqual(r.positions, [0, 1, 2], "trigger and content vary across the probes; the separator does not");
    for (let i = 1; i < r.history.length; i++) assert.ok(r.history[i]! >= r.history[i - 1]!, "the best only improves");
    // the known answer: enumerate all V³ prompts on the searched positions
    const ma = await loadAnyMember(store, a, 0), mb = await loadAnyMember(store, b, 1);
    try {
      const V = ma.plan.world.classes, P = ma.plan.world.sequence!.prompt, sep = r.prompt[P - 1]!;
      const all = new Int32Array(V ** 3 * P);
      for (let i = 0; i < V ** 3; i++) all.set([i % V, Math.floor(i / V) % V, Math.floor(i / V / V), sep], i * P);
      const ex = promptScorer({ m: ma, plan: ma.plan }, { m: mb, plan: mb.plan }, 512)(all);
      const max = Math.max(...ex.kl);
      assert.ok(r.kl <= max + 1e-9, `search ${r.kl} above the exhaustive maximum ${max}`);
      const idx = r.prompt[0]! + V * r.prompt[1]! + V * V * r.prompt[2]!;
      assert.ok(Math.abs(ex.kl[idx]! - r.kl) < 1e-9, "the reported KL is the prompt's");
      console.log(`# search ${r.kl.toFixed(4)} / exhaustive ${max.toFixed(4)} nats after ${r.evaluations} of ${V ** 3} prompts; random best ${r.randomMaxKl.toFixed(4)}`);
    } finally {
      disposeMember(ma);
      disposeMember(mb);
    }
  });

  it("refuses runs with different layouts", async () => {
    const other = (await runExperiment(parseSpec({ ...spec(1), world: { kind: "tokens", symbols: 3, content: 3, trigger: 1 } }), { store, threads: 1 })).runId;
    await assert.rejects(disagreeTokenRuns(store, a, other, { samples: 4, rounds: 0 }), /must share prompt length, completion length and vocabulary/);
  });

  it("`ecotone disagree` searches token prompts on a transformer run, and refuses the vector-input options", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "ecotone-disagree-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "s.db");
    const file = await openStore(path);
    const id = (await runExperiment(spec(0), { store: file, threads: 1 })).runId;
    await file.close();
    const lines: string[] = [];
    t.mock.method(console, "log", (s: string) => lines.push(s));
    await disagreeCommand(id, id, { store: path, seedB: 1, samples: 8, steps: 1, json: true });
    const r = JSON.parse(lines[0]!);
    assert.ok(r.kl >= r.randomMaxKl && Array.isArray(r.prompt));
    await assert.rejects(disagreeCommand(id, id, { store: path, certify: true }), /--certify applies to runs with vector inputs/);
  });
});
