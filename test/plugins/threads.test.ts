// Plugins load in worker threads: a plugin spec trained on 1 and on 2 threads stores bit-identical
// metrics (each seed's init, data and metrics depend on the seed alone, not on its shard).
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSpec, parseSpec } from "../../src/experiment/load.ts";
import { openStore } from "../../src/store/index.ts";
import { runExperiment } from "../../src/train/run.ts";

describe("a plugin spec on worker threads", () => {
  it("stores bit-identical metrics on 1 and 2 threads", async () => {
    const base = await loadSpec(join(import.meta.dirname, "../../examples/plugins.yaml"));
    const spec = parseSpec({ ...base, train: { ...base.train, steps: 50 } });
    assert.equal(spec.seeds, 8);
    const store = await openStore(":memory:");
    try {
      const one = await runExperiment(spec, { store, threads: 1 });
      const two = await runExperiment(spec, { store, threads: 2 });
      const [a, b] = [await store.metrics(one.runId), await store.metrics(two.runId)];
      assert.ok(a.some((p) => p.key === "conf/max:add2b"), "the plugin metric was measured");
      assert.equal(a.length, b.length);
      assert.deepStrictEqual(b, a); // NaN equals NaN here; -0 and 0 do not
    } finally {
      await store.close();
    }
  });
});
