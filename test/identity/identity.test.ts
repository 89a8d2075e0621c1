// No change of results: the README's examples (and a spec that exercises every objective, knob,
// optimiser and the baselines) store bit-identical metrics to those recorded in fixtures.json, key
// by key. Recorded before the seams refactor (commit f044fa8), which matched them exactly; then
// re-recorded for each deliberate change of a metric (its "recorded" field says which), so a
// refactor that moves any number fails here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CASES, FULL, fingerprint, type Case } from "./_record.ts";

const fixtures = JSON.parse(readFileSync(new URL("./fixtures.json", import.meta.url), "utf8")) as Record<"reduced" | "full", Record<string, Record<string, Record<string, string>>>>;

function check(c: Case, want: Record<string, Record<string, string>>) {
  it(`${c.name}: every stored metric as recorded`, async () => {
    const got = await fingerprint(c);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), "the same runs (main and baselines)");
    for (const run of Object.keys(want)) {
      const changed = Object.keys(want[run]!).filter((k) => got[run]![k] !== want[run]![k]);
      const added = Object.keys(got[run]!).filter((k) => !(k in want[run]!));
      assert.deepEqual({ changed, added }, { changed: [], added: [] }, `${c.name} ${run}`);
    }
  });
}

describe("results unchanged: reduced examples and every knob", () => {
  for (const c of CASES) check(c, fixtures.reduced[c.name]!);
});

describe("results unchanged: the quickstart and the three class examples, full size", () => {
  for (const c of FULL) check(c, fixtures.full[c.name]!);
});
