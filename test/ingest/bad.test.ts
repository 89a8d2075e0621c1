// Bad logs: every problem is an error (or, for a harmless duplicate, a warning) that names the
// file, the line, the field, what was expected and what was found; a log that fails stores
// nothing, and the store is left exactly as it was.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { ingest, loadManifest } from "../../src/ingest/index.ts";
import type { Store } from "../../src/store/index.ts";
import { tempDir, tempStore } from "./_fixtures.ts";

/** A small valid log: A and B disagree on every probe; two seeds answer as the cue's environment. */
const manifest = (over: Record<string, unknown> = {}) => ({
  format: "ecotone-probe-log/1", name: "bad-log", options: ["x", "y", "z"],
  environments: [{ name: "A", cue: "[A]", objective: "sft" }, { name: "B", cue: "[B]", objective: "preference" }],
  probes: [0, 1, 2, 3].map((i) => ({ id: `p${i}`, references: { A: ["x", "y", "z"][i % 3]!, B: ["y", "z", "x"][i % 3]! } })),
  seeds: 2, schedule: { steps: 20, phases: [{ env: "A", start: 0, end: 10 }, { env: "B", start: 10, end: 20 }] },
  checkpoints: [0, 10, 20], records: "records.jsonl", ...over,
});
const records = () => {
  const m = manifest(), lines: string[] = [];
  for (const step of [0, 10, 20]) for (let seed = 0; seed < 2; seed++) for (const p of m.probes) for (const cue of ["A", "B"])
    lines.push(JSON.stringify({ seed, step, probe: p.id, cue, answer: p.references[cue as "A" | "B"] }));
  return lines; // 8 per seed and checkpoint: line 1 is seed 0, step 0, p0 under A
};

describe("bad probe logs", () => {
  let dir: string, store: Store, n = 0;
  before(async () => { store = await tempStore(); });
  after(() => store.close());
  /** Writes a log (the manifest changed by `over`, record lines as given) into a fresh folder; returns the manifest's path. */
  const log = (lines: string[] | Buffer, over: Record<string, unknown> = {}, name = "records.jsonl") => {
    dir = tempDir(`bad${n++}`);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest({ records: name, ...over })));
    writeFileSync(join(dir, name), Buffer.isBuffer(lines) ? lines : lines.join("\n") + "\n");
    return join(dir, "manifest.json");
  };
  const set = (i: number, f: (r: any) => void) => { const ls = records(); const r = JSON.parse(ls[i]!); f(r); ls[i] = JSON.stringify(r); return ls; };

  it("accepts the valid log it starts from (a conditional policy)", async () => {
    const r = await ingest(log(records()), { store, again: true });
    assert.equal(r.summary.status, "completed");
    assert.equal(r.summary.lastStep, 20);
  });

  const cases: [string, () => string[] | Buffer, RegExp, (string | undefined)?][] = [
    ["a truncated last line", () => { const ls = records(); ls[ls.length - 1] = ls.at(-1)!.slice(0, 30); return ls; }, /records\.jsonl:48: malformed JSON \(a truncated line\?\)/],
    ["a malformed line", () => { const ls = records(); ls[4] = "seed=0 step=0"; return ls; }, /records\.jsonl:5: malformed JSON/],
    ["an unknown probe", () => set(2, (r) => (r.probe = "p9")), /records\.jsonl:3: field "probe": unknown probe "p9" \(expected one of the manifest's 4 probe ids, e\.g\. p0, p1, p2, … \(4 in all\)\) \(did you mean "p0"\?\)/],
    ["an unknown cue", () => set(3, (r) => (r.cue = "C")), /records\.jsonl:4: field "cue": unknown cue "C" \(expected one of the manifest's environments: A, B\)/],
    ["a seed the manifest does not have", () => set(0, (r) => (r.seed = 5)), /records\.jsonl:1: field "seed": expected one of the manifest's seeds \(0, 1\), found 5/],
    ["a step that is not a checkpoint", () => set(0, (r) => (r.step = 5)), /records\.jsonl:1: field "step": expected one of the manifest's checkpoints \(0, 10, 20\), found 5/],
    ["an answer that is not an option", () => set(0, (r) => (r.answer = "w")), /records\.jsonl:1: field "answer": expected one of the options x, y, z \(or an index 0–2\), found "w"/],
    ["log-probabilities for another number of options", () => set(1, (r) => { delete r.answer; r.logprobs = [-0.1, -2]; }), /records\.jsonl:2: field "logprobs": expected 3 values \(options x, y, z\), found 2/],
    ["two answers in one record", () => set(1, (r) => (r.logprobs = [0, -1, -2])), /records\.jsonl:2: expected one of the fields "answer", "logprobs" or "agreement", found "answer" and "logprobs"/],
    ["a misspelt field", () => set(0, (r) => { r.sed = r.seed; delete r.seed; }), /records\.jsonl:1: unknown field "sed" \(did you mean "seed"\?\)/],
    ["free-text grading in a multiple-choice log", () => set(0, (r) => { delete r.answer; r.agreement = { A: 1 }; }), /records\.jsonl:1: field "agreement": only for free-text logs/],
    ["a missing step for one seed", () => records().filter((l) => !(l.includes('"seed":1') && l.includes('"step":10'))), /the log ends with checkpoint 10: expected 8 records per seed \(4 counterfactual probes × 2 trained cues\), found 8 of 16: seed 1 has no records/],
    ["a missing record", () => records().filter((_, i) => i !== 20), /checkpoint 10: expected 8 records per seed .*seed 0: 1 of 8 records missing \(e\.g\. probe p2 under cue A\)/],
    ["a duplicate with another answer", () => { const ls = records(); ls.splice(3, 0, ls[0]!.replace('"answer":"x"', '"answer":"y"')); return ls; }, /records\.jsonl:4: duplicate record \(seed 0, step 0, probe p0, cue A\) of line 1 with another answer: expected \[1, 0, 0\] as there, found \[0, 1, 0\]/],
    ["a truncated gzip file", () => { const gz = gzipSync(records().join("\n") + "\n"); return gz.subarray(0, gz.length - 30); }, /records\.jsonl\.gz: after line \d+: the gzip stream ends early \(a truncated file\?\)/, "records.jsonl.gz"],
  ];
  for (const [what, lines, error, name] of cases)
    it(`refuses ${what}, saying where, and stores nothing`, async () => {
      const before = await store.listRuns();
      const path = log(lines(), {}, name);
      await assert.rejects(ingest(path, { store }), (e: any) => {
        assert.equal(e.code, "E_SPEC");
        assert.match(e.message, error);
        assert.match(e.message, /nothing was stored/);
        return true;
      });
      assert.deepEqual(await store.listRuns(), before);
    });

  it("reports several problems of one log at once", async () => {
    const ls = records();
    ls[0] = ls[0]!.replace('"cue":"A"', '"cue":"Q"');
    ls[9] = "{";
    await assert.rejects(ingest(log(ls), { store }), /2 problems in the probe log; nothing was stored\n {2}.*records\.jsonl:1: field "cue".*\n {2}.*records\.jsonl:10: malformed JSON/);
  });

  it("counts a duplicate with the same answer once, with a warning naming both lines", async () => {
    const ls = records();
    ls.splice(5, 0, ls[2]!);
    const warnings: string[] = [];
    const r = await ingest(log(ls), { store, again: true, onWarning: (w) => warnings.push(w) });
    assert.equal(r.summary.status, "completed");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /records\.jsonl:6: duplicate record \(seed 0, step 0, probe p1, cue A\) of line 3, same answer; counted once/);
    assert.deepEqual((r.summary as any).ingested.warnings, warnings);
  });

  it("refuses a record file that is not there, naming it", async () => {
    const path = log(records());
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest({ records: ["records.jsonl", "seed9.jsonl"] })));
    await assert.rejects(ingest(path, { store }), /seed9\.jsonl: cannot read the record file: no such file/);
  });

  it("reads a log that ends early at a checkpoint as interrupted, with a warning", async () => {
    const warnings: string[] = [];
    const r = await ingest(log(records().slice(0, 32)), { store, onWarning: (w) => warnings.push(w) });
    assert.equal(r.summary.status, "interrupted");
    assert.equal(r.summary.lastStep, 10);
    assert.match(warnings.join("\n"), /the log ends at step 10; the schedule runs to 20: stored as interrupted/);
  });

  const manifests: [string, Record<string, unknown>, RegExp][] = [
    ["another format version", { format: "ecotone-probe-log/2" }, /manifest\.json: format: expected "ecotone-probe-log\/1", found "ecotone-probe-log\/2" \(a newer version\? upgrade ecotone\)/],
    ["a misspelt key", { enviroments: [] }, /unknown key "enviroments" at \(top level\) \(did you mean "environments"\?\)/],
    ["a reference that is not an option", { probes: [{ id: "p0", references: { A: "x", B: "w" } }] }, /probes\[0\] \("p0"\)\.references\.B: expected one of the options x, y, z, found "w"/],
    ["a reference for an unknown environment", { probes: [{ id: "p0", references: { A: "x", Bee: "y" } }] }, /probes\[0\] \("p0"\)\.references: unknown environment "Bee" \(expected one of A, B\) \(did you mean "B"\?\)/],
    ["a gap between phases", { schedule: { steps: 20, phases: [{ env: "A", start: 0, end: 10 }, { env: "B", start: 12, end: 20 }] } }, /schedule\.phases\[1\]: expected it to start at step 10 \(phases cover \[0, steps\) without gaps or overlaps\), found 12/],
    ["a phase of an unknown environment", { schedule: { steps: 20, phases: [{ env: "A", start: 0, end: 10 }, { env: "C", start: 10, end: 20 }] } }, /schedule\.phases\[1\]\.env: expected a trained environment \(A, B\) or "mixture", found "C"/],
    ["a checkpoint after the last step", { checkpoints: [0, 10, 30] }, /checkpoints\[2\]: 30 is after the last step \(schedule\.steps = 20\)/],
    ["a novel environment without its own probes", { environments: [{ name: "A" }, { name: "B" }, { name: "N", novel: true }] }, /environments \(N\): a novel environment needs its own probes/],
  ];
  for (const [what, over, error] of manifests)
    it(`refuses a manifest with ${what}`, () => {
      const path = log(records(), over);
      assert.throws(() => loadManifest(path), (e: any) => e.code === "E_SPEC" && error.test(e.message));
    });

  it("the store holds only the runs of the logs it accepted", async () => {
    const runs = await store.listRuns();
    assert.equal(runs.length, 3, runs.map((r) => `${r.name} ${r.status}`).join(", "));
    for (const r of runs) assert.ok((await store.metrics(r.id)).length > 0);
    assert.ok(readFileSync(join(dir, "manifest.json"), "utf8").length > 0);
  });
});
