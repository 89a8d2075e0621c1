// The native round trip: a run ecotone trained, exported as a probe log (trained again bit for bit,
// its outputs captured at every checkpoint) and ingested back, gives exactly the stored numbers:
// labels, class scores and intervals, behaviour, performance and continual learning, at every
// checkpoint and for every seed; only what a log cannot hold (mechanism, training loss) is missing.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseSpec } from "../../src/experiment/load.ts";
import { exportProbeLog, ingest, loadManifest } from "../../src/ingest/index.ts";
import type { MetricPoint, Store } from "../../src/store/index.ts";
import { runExperiment } from "../../src/train/run.ts";
import { tempDir, tempStore } from "./_fixtures.ts";

// Two trained environments (SFT and reward), a novel one, blocks of 30 steps: every key family.
const spec = parseSpec({
  name: "roundtrip", seeds: 4,
  world: { content: 12, cue: 4, classes: 4 },
  envs: [{ name: "A", objective: { kind: "sft" } }, { name: "B", objective: { kind: "reward" } }],
  novel: [{ name: "N1", kind: "fresh" }],
  schedule: { kind: "blocks", phaseSteps: 30 },
  model: { hidden: [24] },
  train: { steps: 120, evalEvery: 15, batch: 32, probes: 24, lr: 0.003 },
});

describe("native round trip: train → export --probe-log → ingest", () => {
  let store: Store, dir: string, native: string, ingested: string;
  let a: MetricPoint[], b: MetricPoint[];
  before(async () => {
    dir = tempDir("roundtrip");
    store = await tempStore(dir);
    native = (await runExperiment(spec, { store, threads: 1 })).runId;
    const ex = await exportProbeLog(native, { store, dir: join(dir, "log"), gzip: true });
    ingested = (await ingest(ex.manifest, { store })).summary.runId;
    [a, b] = [await store.metrics(native), await store.metrics(ingested)];
  });
  after(() => store.close());

  const id = (p: MetricPoint) => `${p.step}|${p.seed}|${p.key}`;
  for (const family of ["class/", "behav/", "perf/", "cl/", "mature/"])
    it(`gives exactly the stored ${family}* values at every checkpoint and seed`, () => {
      const mine = (ps: MetricPoint[]) => new Map(ps.filter((p) => p.key.startsWith(family)).map((p) => [id(p), p.value]));
      const [want, got] = [mine(a), mine(b)];
      assert.ok(want.size > 0);
      assert.deepEqual(got, want);
    });

  it("gives the same classification with the same intervals in the summary", async () => {
    const [x, y] = [(await store.getRun(native))!, (await store.getRun(ingested))!];
    assert.deepEqual((y.summary as any).classification, (x.summary as any).classification);
    assert.deepEqual(await store.phases(ingested), await store.phases(native));
    assert.equal(y.volatility, x.volatility);
  });

  it("misses only the keys a probe log cannot hold", () => {
    const keys = (ps: MetricPoint[]) => new Set(ps.map((p) => p.key.replace(/:.*/, "")));
    const missing = [...keys(a)].filter((k) => !keys(b).has(k));
    assert.ok(missing.length > 0);
    for (const k of missing) assert.match(k, /^(route|rep|plastic|train)\//);
  });

  it("writes a manifest the reader accepts, with every checkpoint and the run's window", () => {
    const lm = loadManifest(join(dir, "log", "manifest.json"));
    assert.deepEqual(lm.manifest.checkpoints, [0, 15, 30, 45, 60, 75, 90, 105, 120]);
    assert.equal(lm.layout.N, 24);
    assert.deepEqual(lm.layout.all, ["A", "B", "N1"]);
    assert.equal(JSON.parse(readFileSync(lm.path, "utf8")).source.runId, native);
  });

  it("refuses to export an ingested run, saying why", async () => {
    await assert.rejects(exportProbeLog(ingested, { store, dir: join(dir, "again") }), /was ingested from a probe log .*there is no model to run again/);
  });
});
