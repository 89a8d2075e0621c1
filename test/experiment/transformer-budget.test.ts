// A transformer's activations grow with the sequence length and its attention maps with its square
// (B·H·T² per layer): the budget reads them from the model (Model.activationFloats), so a spec whose
// parameters are small but whose step would not fit is refused before anything runs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { budgetDefaults, checkBudget, estimate } from "../../src/experiment/budget.ts";
import { parseSpec } from "../../src/experiment/load.ts";
import { models } from "../../src/models/index.ts";
import { EcotoneError } from "../../src/util/errors.ts";

const refused = (re: RegExp) => (e: unknown) => e instanceof EcotoneError && e.code === "E_SPEC" && re.test(e.message);
const spec = (model: object, world: object, train: object) =>
  parseSpec({ seeds: 2, world: { kind: "tokens", ...world }, envs: [{ name: "A", objective: "sft" }], model: { kind: "transformer", ...model }, train });

describe("transformer budget", () => {
  it("counts the attention maps: B·H·T² per layer", () => {
    const m = models.get("transformer").create({ ...models.get("transformer").schema.parse({ kind: "transformer", layers: 1, dModel: 8, heads: 2, mlp: 8 }) }, { input: 10, classes: 5, envs: 1 });
    const one = m.activationFloats!(1), two = m.activationFloats!(2);
    assert.equal(two, 2 * one, "linear in the batch");
    // B = 1, T = 10, V = 5, d = 8, mlp = 8, H = 2: 10·5·2 + 10·8 + 10·(64 + 16) + 2·2·100
    assert.equal(one, 100 + 80 + 800 + 400);
  });

  it("refuses a transformer whose parameters fit but whose attention does not, naming train.batch", () => {
    const s = spec({ layers: 2, dModel: 64, heads: 16 }, { content: 32, trigger: 16 }, { batch: 4096, steps: 10 });
    const e = estimate(s);
    assert.ok(e.params < 200_000, `${e.params} parameters`);
    assert.ok(e.activationBytes > budgetDefaults.shardBytes, `${e.activationBytes} bytes of activations`);
    assert.throws(() => checkBudget(s, { allowLarge: true }), refused(/too large for one worker thread: seeds × train\.batch × model\..*dModel.* GiB of tensors per thread/));
  });

  it("refuses the absurd dModel 4096, context 2048, batch 512 before work starts", () => {
    const s = spec({ dModel: 4096, context: 2048, heads: 32 }, {}, { batch: 512, steps: 10 });
    const t0 = performance.now();
    assert.throws(() => checkBudget(s, { allowLarge: true }), refused(/too large for one worker thread: .*model\..*dModel/));
    assert.ok(performance.now() - t0 < 2000, "refused at once");
  });

  it("passes the transformer quickstart", () => {
    const s = spec({ layers: 1, dModel: 16, heads: 2, mlp: 32 }, { symbols: 8, content: 4, trigger: 2 }, { batch: 32, steps: 400, probes: 64 });
    assert.doesNotThrow(() => checkBudget(s));
  });
});
