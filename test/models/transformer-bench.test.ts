// The transformer benchmark's plumbing (not its speed): both workloads run and report, and bad
// arguments get clear errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { timeTransformer, torchTransformer, transformerFlopsPerModelStep } from "../../src/bench/transformer.ts";
import benchCommand from "../../src/cli/commands/bench.ts";
import { EcotoneError } from "../../src/util/errors.ts";

describe("transformer bench", () => {
  it("times the ecotone workload", async () => {
    const r = await timeTransformer(2, 0);
    assert.ok(r.steps >= 5 && r.seconds > 0 && r.cpuSeconds > 0);
    // 2 layers × 12·64² MACs per token + attention + embedding and unembedding, × 2 × 3 × 1,024 tokens.
    assert.equal(transformerFlopsPerModelStep(), 3 * 2 * 1024 * (32 * 64 + 2 * (12 * 64 * 64 + 2 * 32 * 64) + 64 * 32));
  });

  it("times the PyTorch workload", async (t) => {
    if (spawnSync("/usr/bin/python3", ["-c", "import torch"]).status !== 0) return t.skip("torch does not import in /usr/bin/python3");
    const r = await torchTransformer([2], 0);
    assert.ok("rows" in r, JSON.stringify(r));
    assert.deepEqual(r.rows.map((x) => [x.seeds, x.threads]), [[2, 1]]);
    const [row] = r.rows;
    assert.ok(row!.modelStepsPerSec > 0 && Math.abs(row!.tokensPerSec - row!.modelStepsPerSec * 1024) <= 0.05 * 1024 + 1, JSON.stringify(row)); // modelStepsPerSec is rounded to 0.1
  });

  it("refuses an unknown workload or a thread count", async () => {
    const refused = (opts: Record<string, unknown>, re: RegExp) =>
      assert.rejects(benchCommand(opts), (e: unknown) => e instanceof EcotoneError && e.code === "E_ARGS" && re.test(e.message));
    await refused({ model: "transformr" }, /no reference workload for transformr \(did you mean transformer\?\)/);
    await refused({ model: "transformer", threads: [2] }, /one thread/);
  });
});
