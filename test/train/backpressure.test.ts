// A store slower than training (a team's PostgreSQL across a network): training waits for it
// rather than piling checkpoints, each with its resumable state, up in memory. Before the gate, a
// quickstart with 300 ms writes ran 610 steps ahead and took 1.1 GB; now it stays within
// gateDefaults.aheadCheckpoints of the store. Same numbers either way; a stop still gets through.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Store } from "../../src/store/index.ts";
import { gateDefaults } from "../../src/train/gate.ts";
import { runExperiment } from "../../src/train/run.ts";
import { tempStore, tinySpec } from "./_helpers.ts";

const evalEvery = 10;
const spec = tinySpec({ model: { hidden: [16] }, train: { steps: 300, evalEvery, batch: 16, probes: 32 } });

/** The real store, each checkpoint written `ms` later; at each write, how far training has gone past it. */
function slow(inner: Store, ms: number, progress: () => number) {
  const ahead: number[] = [];
  const store = new Proxy(inner, {
    get(target, p) {
      if (p === "writeCheckpoint")
        return async (...args: Parameters<Store["writeCheckpoint"]>) => {
          ahead.push(progress() - args[1]);
          await new Promise((r) => setTimeout(r, ms));
          return target.writeCheckpoint(...args);
        };
      const v = Reflect.get(target, p, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store, ahead };
}

describe("a store slower than training", () => {
  for (const threads of [1, 2]) {
    it(`training keeps within ${gateDefaults.aheadCheckpoints} checkpoints of it, with the same numbers (${threads} thread${threads > 1 ? "s" : ""})`, async () => {
      const inner = await tempStore();
      try {
        let step = 0;
        const s = slow(inner, 60, () => step);
        // 31 checkpoints, 60 ms each: 1.9 s of writes against ~0.4 s of training, which would run to the end before the store had a fifth of them
        const run = await runExperiment(spec, { store: s.store, threads, onProgress: (done) => (step = done) });
        assert.equal(run.status, "completed");
        assert.equal(s.ahead.length, 31);
        const most = Math.max(...s.ahead);
        // handed over and not written: at most aheadCheckpoints, plus the one training towards
        assert.ok(most <= (gateDefaults.aheadCheckpoints + 1) * evalEvery, `training ran ${most} steps ahead of the store: ${s.ahead.join(" ")}`);
        const ref = await runExperiment(spec, { store: inner, threads });
        assert.deepEqual(await inner.metrics(run.runId), await inner.metrics(ref.runId));
      } finally {
        await inner.close();
      }
    });
  }

  it("a stop reaches training while it waits for the store", async () => {
    const inner = await tempStore();
    try {
      let step = 0;
      const s = slow(inner, 400, () => step);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 1500);
      const t0 = Date.now();
      const run = await runExperiment(spec, { store: s.store, threads: 2, signal: ac.signal, onProgress: (done) => (step = done) });
      assert.equal(run.status, "interrupted");
      assert.ok(Date.now() - t0 < 1500 + (gateDefaults.aheadCheckpoints + 2) * 400 + 2000, "it stopped after the checkpoints in hand were written");
      assert.equal(run.lastStep, (await inner.lastStep(run.runId)) ?? 0, "every checkpoint handed over was kept");
    } finally {
      await inner.close();
    }
  });
});
