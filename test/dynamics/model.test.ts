import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init, numpy as np } from "@jax-js/jax";
import { type Model, classifierMetrics, crossEntropy } from "../../src/dynamics/index.ts";

before(async () => {
  await init("wasm");
});

type P = { W: np.Array };
const f: Model<P> = (p, x) => np.matmul(x, p.W); // [n, 2] @ [2, 3]
const batch = (y: number[]) => ({ x: np.array([[1, 0], [0, 1]]), y: np.array(y, { dtype: np.int32 }) });
const W = [[0, 1, 2], [3, 0, 0]]; // logits: row 0 = [0, 1, 2], row 1 = [3, 0, 0]
const nll = (logits: number[], y: number) => Math.log(logits.reduce((s, l) => s + Math.exp(l), 0)) - logits[y]!;

describe("classifier helpers", () => {
  it("crossEntropy is the mean negative log-softmax of the labels", () => {
    const got = crossEntropy(f)({ W: np.array(W) }, batch([2, 0])).item();
    const want = (nll([0, 1, 2], 2) + nll([3, 0, 0], 0)) / 2;
    assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
  });

  it("classifierMetrics reports loss and accuracy", () => {
    const { loss, acc } = classifierMetrics(f)({ W: np.array(W) }, batch([2, 1]));
    assert.equal(acc.item(), 0.5);
    assert.ok(Math.abs(loss.item() - (nll([0, 1, 2], 2) + nll([3, 0, 0], 1)) / 2) < 1e-6);
  });
});
