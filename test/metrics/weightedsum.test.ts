import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { weightedSum } from "../../src/metrics/weightedsum.ts";

// 1 seed, 3 environments (2 trained + 1 novel), 2 probes each, 2 classes; labels: all class 0.
const d = { S: 1, C: 2, N: 2, E: 3, trained: 2, labels: new Int32Array(6), names: ["A", "B", "novel1"] };
const sure = (c: number) => (c === 0 ? [1, 0] : [0, 1]);
const outputs = (classes: number[]) => Float32Array.from(classes.flatMap(sure)); // one class per probe row

describe("weightedSum", () => {
  it("a model identical to the mixture model is at distance 0 and gap 0 from it", () => {
    const m = outputs([0, 0, 1, 1, 0, 1]);
    const r = weightedSum(m, { mixture: m }, d);
    assert.equal(r["ws/jsMixture"]![0], 0);
    assert.equal(r["ws/vsMixture:A"]![0], 0);
    assert.equal(r["ws/novelVsMixture"]![0], 0);
  });
  it("measures the specialists' advantage over the mixture model on their own environments", () => {
    const mixture = outputs([0, 1, 1, 1, 0, 0]); // A: 1/2 right, B: 0 right
    const specA = outputs([0, 0, 1, 1, 1, 1]), specB = outputs([1, 1, 0, 0, 1, 1]);
    const r = weightedSum(mixture, { mixture, specialists: [specA, specB] }, d);
    assert.equal(r["ws/mixtureVsSpecialist:A"]![0], -0.5);
    assert.equal(r["ws/mixtureVsSpecialist:B"]![0], -1);
    // JS between opposite sure answers is 1 bit: A differs on 1 of 2 probes, B on both
    assert.equal(r["ws/jsSpecialist"]![0], (0.5 + 1) / 2);
  });
});
