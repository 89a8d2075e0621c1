// Live continual-learning metrics on a hand-built timeline: A trained in [0, 100), B in [100, 200).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { continualNow } from "../../src/metrics/timeline.ts";

const phases = [{ start: 0, end: 100, env: "A" }, { start: 100, end: 200, env: "B" }];
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

describe("continualNow", () => {
  // checkpoints 0, 100, 200; accuracies [A, B]
  const t = { steps: [0, 100, 200], acc: [[0.1, 0.2], [0.9, 0.3], [0.5, 0.8]] };
  it("gives the textbook values at the end (computed by hand)", () => {
    const m = continualNow(t, phases, ["A", "B"]);
    close(m["cl/avg"]!, (0.5 + 0.8) / 2);
    close(m["cl/forgetting"]!, ((0.9 - 0.5) + (0.8 - 0.8)) / 2); // max-so-far minus now, both trained
    close(m["cl/retention"]!, (0.5 / 0.9 + 1) / 2);
    close(m["cl/bwt"]!, 0.5 - 0.9); // A since the end of its phase; B is training now
    close(m["cl/fwt"]!, 0.3 - 0.2); // B just before its first phase, against B at init
  });
  it("only counts environments trained so far", () => {
    const m = continualNow({ steps: [0, 100], acc: [[0.1, 0.2], [0.9, 0.3]] }, phases, ["A", "B"]);
    close(m["cl/avg"]!, 0.9);
    close(m["cl/forgetting"]!, 0);
    assert.ok(Number.isNaN(m["cl/fwt"]!)); // B not yet trained
  });
  it("a mixture trains every environment from the start", () => {
    const m = continualNow(t, [{ start: 0, end: 200, env: "mixture" }], ["A", "B"]);
    close(m["cl/avg"]!, 0.65);
    assert.ok(Number.isNaN(m["cl/bwt"]!) && Number.isNaN(m["cl/fwt"]!));
  });
});
