// Simplicity bias as a property of training (Shah et al. 2020's headline on LMS-5): where the
// linear coordinate and the slab coordinates both predict the label, models rely on the linear
// one, although the slabs alone are learnable with the same budget.
import { after, describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { loadSpec, parseSpec } from "../../src/experiment/load.ts";
import { simplicityBias, simplicitySpecPath } from "../../src/stability/simplicity.ts";
import { openStore } from "../../src/store/index.ts";
import simplicity from "../../src/cli/commands/simplicity.ts";

const base = await loadSpec(simplicitySpecPath);
const fmt = (s: { mean: number; sd: number }) => `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`;

describe("simplicityBias on the LMS-5 world", () => {
  const store = openStore(":memory:");
  after(async () => (await store).close());
  let first: Awaited<ReturnType<typeof simplicityBias>> | undefined;

  it("every model relies on the linear coordinate, though the slabs alone are learnable", async (t) => {
    const r = (first = await simplicityBias(base, { store: await store, seeds: 4 }));
    t.diagnostic(`${r.spec.seeds} seeds, ${r.spec.train.steps} steps ${r.spec.train.optimizer}: clean ${fmt(r.summary.clean)}, linear randomised ${fmt(r.summary.linearRandomised)}, slabs randomised ${fmt(r.summary.slabRandomised)}, control ${fmt(r.control!.summary)}`);
    assert.equal(r.summary.clean.n, 4);
    assert.ok(r.summary.clean.mean >= 0.95, `clean ${fmt(r.summary.clean)}`);
    assert.ok(r.summary.linearRandomised.mean <= 0.6, `linear randomised ${fmt(r.summary.linearRandomised)}`);
    assert.ok(r.summary.slabRandomised.mean >= 0.95, `slabs randomised ${fmt(r.summary.slabRandomised)}`);
    assert.ok(r.control!.summary.mean >= 0.9, `control ${fmt(r.control!.summary)}`);
    assert.deepEqual(r.verdict, ["linear", "linear", "linear", "linear"]);
    assert.ok(r.reliance.linear > 0.35 && r.reliance.slab < 0.05, JSON.stringify(r.reliance));
    // per-seed values from the store agree with the run summary
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(mean(r.accuracy.linearRandomised) - r.summary.linearRandomised.mean) < 1e-9);
    assert.deepEqual(r.sets, { linearRandomised: "no-linear", slabRandomised: "no-slab" });
  });

  it("reuses the completed runs of an identical spec from the store", async () => {
    const again = await simplicityBias(base, { store: await store, seeds: 4 });
    assert.ok(again.reused && again.control!.reused);
    assert.deepEqual([again.runId, again.accuracy, again.control!.accuracy], [first!.runId, first!.accuracy, first!.control!.accuracy]);
  });

  it("shows the same bias under plain SGD (the optimiser is a spec choice)", async () => {
    const sgd = parseSpec({ ...base, train: { ...base.train, optimizer: "sgd", lr: 0.5 } });
    const r = await simplicityBias(sgd, { seeds: 2, control: false });
    assert.ok(r.summary.clean.mean >= 0.95 && r.summary.linearRandomised.mean <= 0.6 && r.summary.slabRandomised.mean >= 0.95, JSON.stringify(r.summary));
    assert.equal(r.control, null);
  });

  it("adds the randomised sets a spec lacks", async () => {
    const r = await simplicityBias(parseSpec({ ...base, novel: [] }), { seeds: 1, steps: 1, control: false });
    assert.deepEqual(r.spec.novel.map((n) => [n.feature, n.name]), [["linear", "no-linear"], ["slab", "no-slab"]]);
  });

  it("rejects a spec it cannot read as Shah's experiment", async () => {
    await assert.rejects(simplicityBias(parseSpec({})), /simplicity: expected an lmsk world, got teacher$/);
    await assert.rejects(simplicityBias(parseSpec({ ...base, envs: [{ name: "A" }, { name: "B" }] })), /simplicity: expected one trained environment, got 2 \(A, B\)$/);
    await assert.rejects(simplicityBias(parseSpec({ ...base, world: { ...base.world, features: { A: "slab" } } })), /simplicity: env A must carry its label in both features \(world.features.A: both\), got slab$/);
  });
});

describe("ecotone simplicity", () => {
  /** Runs the command as the CLI does, returning what it printed on stdout. */
  async function capture(run: () => Promise<void>): Promise<string> {
    const out: string[] = [];
    const log = mock.method(console, "log", (...a: unknown[]) => void out.push(a.map(String).join(" ")));
    const err = mock.method(process.stderr, "write", () => true);
    try {
      await run();
    } finally {
      log.mock.restore();
      err.mock.restore();
    }
    return out.join("\n");
  }

  it("trains the default spec, or a given one, and prints a table or one JSON object", async () => {
    const r = JSON.parse(await capture(() => simplicity(undefined, { seeds: 2, steps: 50, control: false, json: true })));
    assert.deepEqual(Object.keys(r).sort(), ["accuracy", "control", "env", "reliance", "reused", "runId", "sets", "spec", "store", "summary", "verdict"]);
    assert.deepEqual([r.spec.name, r.spec.seeds, r.spec.train.steps, r.control, r.store], ["simplicity", 2, 50, null, null]);
    const text = await capture(() => simplicity(simplicitySpecPath, { seeds: 2, steps: 50 }));
    assert.match(text, /linear randomised \(no-linear\)\s+\d\.\d{3} ± \d\.\d{3}/);
    assert.match(text, /control \(trained with the linear coordinate randomised/);
    await assert.rejects(simplicity("no/such.yaml", {}), /cannot read spec file: no\/such.yaml: no such file$/);
  });
});
