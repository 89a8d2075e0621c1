// `ecotone stability` on a transformer spec: the perturbation study compares the final models'
// probe outputs, one row per completion token (greedy completions), like an MLP's answers.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../../src/experiment/load.ts";
import { stabilityReport, type StabilityReport } from "../../src/stability/report.ts";
import { openStore, type Store } from "../../src/store/index.ts";

const spec = parseSpec({
  name: "tiny-transformer", seeds: 2,
  world: { kind: "tokens", symbols: 4, content: 3, trigger: 1, distinguishability: 1, similarity: 0 },
  envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }],
  schedule: { kind: "mixture" },
  model: { kind: "transformer", layers: 1, dModel: 8, heads: 2, mlp: 16 },
  train: { optimizer: "adam", lr: 0.01, steps: 40, evalEvery: 20, batch: 16, probes: 8 },
});

let store: Store;
let full: StabilityReport;
const dim = (r: StabilityReport, d: string) => r.dimensions.find((x) => x.dimension === d)!;

before(async () => {
  store = await openStore(":memory:");
  full = await stabilityReport(spec, { store, threads: 1, perturb: ["seed", "lr"], seedVariants: 1 });
});

describe("stability of a transformer", () => {
  it("measures a spread across seeds and learning rates on the completion tokens", () => {
    assert.deepEqual(full.envs.trained, ["A", "B"]);
    for (const d of ["seed", "lr"]) {
      const s = dim(full, d).distance!;
      assert.ok(s.jsIn > 0 && Number.isFinite(s.jsOff), `${d}: ${JSON.stringify(s)}`);
      assert.ok(s.agreeIn >= 0 && s.agreeIn <= 1);
    }
    assert.equal(full.ranking.length, 2);
  });

  it("scale 0 (the same lr and momentum) gives exactly zero spread, reusing the base run", async () => {
    const r = await stabilityReport(spec, { store, threads: 1, scale: 0, perturb: ["lr", "momentum"] });
    for (const d of ["lr", "momentum"]) {
      const s = dim(r, d).distance!;
      assert.deepEqual([s.jsIn, s.jsOff, s.klIn, s.accGapIn, s.agreeIn, s.agreeOff], [0, 0, 0, 0, 1, 1], d);
      assert.equal(dim(r, d).variants[0]!.runId, full.base.runId);
    }
  });
});
