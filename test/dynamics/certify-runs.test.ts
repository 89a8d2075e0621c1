// Certified disagreement on stored ecotone runs: the Float64 network read from a member is the
// member (same logits as its jax forward pass), the bound is never below what any search finds,
// identical members certify zero, and checkpoint pairs, regions and bad arguments behave.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, tree } from "@jax-js/jax";
import disagree, { parseBudget } from "../../src/cli/commands/disagree.ts";
import { certifyDisagreement, logitsAt } from "../../src/dynamics/index.ts";
import { parseSpec } from "../../src/experiment/load.ts";
import { certifySpread, disagreeRuns, memberNet } from "../../src/stability/disagree.ts";
import { loadMember, disposeMember } from "../../src/stability/inspect.ts";
import { archOf, memberModel, probeRows } from "../../src/stability/members.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { runExperiment } from "../../src/train/run.ts";
import { stabilityReport } from "../../src/stability/report.ts";
import { renderReport } from "../../src/cli/commands/stability.ts";

const spec = (over: Record<string, unknown> = {}) => parseSpec({
  name: "certify", seeds: 3,
  world: { content: 6, cue: 2, classes: 3 },
  envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }],
  schedule: { kind: "mixture" },
  model: { hidden: [12] },
  train: { optimizer: "adam", lr: 0.01, steps: 100, evalEvery: 50, batch: 16, probes: 16 },
  ...over,
});

let store: Store;
let a: string, b: string, heads: string;
const FAST = { steps: 30, samples: 256, restarts: 4 };

before(async () => {
  store = await openStore(":memory:");
  a = (await runExperiment(spec(), { store, threads: 1 })).runId;
  b = (await runExperiment(spec({ seed: 7 }), { store, threads: 1 })).runId;
  heads = (await runExperiment(spec({ model: { hidden: [8, 6], bottleneck: 4, heads: "per-env" } }), { store, threads: 1 })).runId;
});

describe("memberNet", () => {
  it("gives the member's own logits (shared and per-environment heads, linear bottleneck)", async () => {
    for (const run of [a, heads]) {
      const m = await loadMember(store, run, 1);
      const arch = archOf(m.plan), rows = probeRows(m.plan, [0, 1]);
      const net = memberNet(arch, m.params);
      const ref = memberModel(arch)(tree.ref(m.params), np.array(rows.x, { shape: [rows.n, arch.input] })).dataSync() as Float32Array; // [n, C]
      for (let i = 0; i < rows.n; i++) {
        const z = logitsAt(net, rows.x.subarray(i * arch.input, (i + 1) * arch.input));
        z.forEach((v, c) => assert.ok(Math.abs(v - ref[i * arch.classes + c]!) < 1e-4 * Math.max(1, Math.abs(v)), `run ${run} row ${i} class ${c}: ${v} vs ${ref[i * arch.classes + c]}`));
      }
      disposeMember(m);
    }
  });
});

describe("disagreeRuns --certify", () => {
  it("certifies a bound never below the search's KL, with the gap reported", async () => {
    const r = await disagreeRuns(store, a, b, { seedA: 0, seedB: 1, ...FAST, certify: { nodes: 150 } });
    const c = r.certified!;
    assert.equal(c.region.kind, "box");
    assert.deepEqual(c.region.box, r.box);
    assert.ok(Math.abs(c.searchValue - r.kl) < 1e-3 * Math.max(1, r.kl), `Float64 KL ${c.searchValue} at the search's input vs ${r.kl}`);
    assert.ok(c.found >= c.searchValue && c.bound >= c.found, `search ${c.searchValue}, found ${c.found}, bound ${c.bound}`);
    assert.equal(c.gap, c.bound - c.found);
    assert.ok(c.bound <= c.root && c.root <= c.ibpRoot, `bound ${c.bound}, root ${c.root}, IBP ${c.ibpRoot}`);
    c.history.forEach((h, i) => i && assert.ok(h.bound <= c.history[i - 1]!.bound));
    assert.ok(c.nodes <= 151);
  });

  it("certifies models of different shapes (composed CROWN alone)", async () => {
    const r = await disagreeRuns(store, a, heads, { seedA: 0, ...FAST, certify: { nodes: 30 } });
    const c = r.certified!;
    assert.ok(c.bound >= c.found && c.found >= c.searchValue && c.found > 0, `found ${c.found}, bound ${c.bound}`);
    assert.equal(c.method.differential, 0);
  });

  it("a member and itself certify exactly zero; on a small L∞ ball the gap is small and narrows", async () => {
    const same = await disagreeRuns(store, a, a, { seedA: 2, ...FAST, certify: { nodes: 10, region: "world" } });
    assert.equal(same.certified!.bound, 0);
    // in 8 dims the gap is first order in the radius, and branch-and-bound narrows it slowly
    const ball = await disagreeRuns(store, a, b, { seedA: 0, seedB: 1, ...FAST, certify: { nodes: 300, region: "linf:0.001", probe: 5 } });
    const c = ball.certified!;
    assert.equal(c.region.eps, 0.001);
    c.region.box.forEach(([lo, hi]) => assert.ok(Math.abs(hi - lo - 0.002) < 1e-6));
    assert.ok(c.gap <= 0.05 * c.found && c.gap < 0.6 * (c.root - c.found), `gap ${c.gap} at found ${c.found}, root ${c.root}`);
  });

  it("compares checkpoints of one run (retrained deterministically): the final checkpoint is the stored member", async () => {
    const early = await disagreeRuns(store, a, a, { seedA: 0, stepA: 50, ...FAST, certify: { nodes: 50, measure: "tv" } });
    assert.equal(early.certified!.measure, "tv");
    assert.ok(early.certified!.found > 0 && early.certified!.bound >= early.certified!.found && early.certified!.bound <= 1);
    const last = await disagreeRuns(store, a, a, { seedA: 0, stepA: 100, ...FAST, certify: { nodes: 5 } });
    assert.equal(last.certified!.bound, 0);
    await assert.rejects(disagreeRuns(store, a, a, { stepA: 60, certify: {} }), /no checkpoint at step 60; its checkpoints: 0, 50, 100$/);
  });

  it("refuses bad regions, measures, budgets and non-MLP members before any work", async () => {
    await assert.rejects(disagreeRuns(store, a, b, { certify: { region: "lnf:0.1" } }), /--region: expected box, world or linf:EPS, got "lnf:0.1" \(did you mean linf\?\)/);
    await assert.rejects(disagreeRuns(store, a, b, { certify: { region: "linf:-1" } }), /linf:EPS needs a finite radius/);
    await assert.rejects(disagreeRuns(store, a, b, { certify: { measure: "kll" as never } }), /--measure: expected one of kl, tv, logit, got "kll" \(did you mean kl\?\)/);
    await assert.rejects(disagreeRuns(store, a, b, { certify: { region: "linf:0.1", probe: 10_000 } }), /--probe: run A has 32 probe rows, got 10000/);
    assert.deepEqual(parseBudget("30s"), { seconds: 30 });
    assert.deepEqual(parseBudget("500"), { nodes: 500 });
    assert.throws(() => parseBudget("lots"), /--budget: expected seconds such as 30s/);
    const row = (await store.getRun(a))!;
    const other = JSON.parse(row.specJson);
    other.model = { kind: "transformer" };
    await store.createRun({ id: "rtransformer1", name: "t", specJson: JSON.stringify(other), specHash: "x", seeds: 3, steps: 100, volatility: 0, envs: ["A", "B"] });
    await assert.rejects(disagreeRuns(store, a, "rtransformer1", { certify: {} }), /certified bounds cover MLP members .*model kind "transformer"/);
  });

  it("the CLI asks for --certify when given its options alone", async () => {
    await assert.rejects(disagree(a, b, { store: ":memory:", region: "box" }), /--region applies to the certified bound: add --certify$/);
    await assert.rejects(disagree(a, b, { store: ":memory:", budget: "5s", measure: "tv" }), /--budget, --measure apply to the certified bound: add --certify$/);
  });
});

describe("certifySpread (the stability report's certified column)", () => {
  it("fills the column of a perturbation study, and the table shows it", async () => {
    const r = await stabilityReport(spec({ name: "certify-study" }), { store, threads: 1, perturb: ["lr"], certify: { nodes: 3 } });
    const c = r.dimensions[0]!.certified!;
    assert.equal(c.pairs, 3 * 3, "3 variant pairs × 3 members");
    assert.ok(c.bound >= c.found && c.found > 0 && c.nodes === 3);
    assert.match(renderReport(r), /certified KL ≤ \(found\)\nlr .* \d+\.\d\d \(\d+\.\d\d\)$/m);
    const plain = await stabilityReport(spec({ name: "certify-study" }), { store, threads: 1, perturb: ["lr"] });
    assert.equal(plain.dimensions[0]!.certified, undefined);
    assert.doesNotMatch(renderReport(plain), /certified/);
  });

  it("covers every matched pair, with bound ≥ found", async () => {
    const r = await certifySpread(store, [a, b], { nodes: 20 });
    assert.equal(r.pairs, 3);
    assert.ok(r.bound >= r.found && r.found > 0);
    const self = await certifySpread(store, [a, a], { nodes: 1 });
    assert.equal(self.bound, 0);
  });
});

describe("certified bound vs search on stored members", () => {
  it("no search input beats the bound, at any node budget", async () => {
    const ma = await loadMember(store, a, 0), mb = await loadMember(store, b, 2);
    const na = memberNet(archOf(ma.plan), ma.params), nb = memberNet(archOf(mb.plan), mb.params);
    disposeMember(ma);
    disposeMember(mb);
    const r = await disagreeRuns(store, a, b, { seedA: 0, seedB: 2, steps: 100, samples: 2048, restarts: 8 });
    for (const nodes of [1, 10, 100]) {
      const c = certifyDisagreement(na, nb, r.box, { nodes });
      assert.ok(c.bound >= r.kl * (1 - 1e-4), `${nodes} nodes: bound ${c.bound} < search ${r.kl}`);
    }
  });
});
