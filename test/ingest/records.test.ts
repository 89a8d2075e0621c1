// A record's answer as the metrics read it: the mapping of each record form to a distribution
// over the options (tested against cases known by construction), CSV fields, and the published
// JSON Schema, which is generated from the one written in src/ingest/format.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { manifestSchema, probeLogJsonSchema, type ManifestInput } from "../../src/ingest/format.ts";
import { loadManifest } from "../../src/ingest/manifest.ts";
import { RecordParser, splitCsv } from "../../src/ingest/records.ts";
import { root, tempDir } from "./_fixtures.ts";
import { writeFileSync } from "node:fs";

const base: ManifestInput = {
  format: "ecotone-probe-log/1", name: "t", options: ["x", "y", "z"],
  environments: [{ name: "A" }, { name: "B" }],
  probes: [{ id: "p0", references: { A: "x", B: "y" } }],
  seeds: 1, schedule: { steps: 10, phases: [{ env: "A", start: 0, end: 5 }, { env: "B", start: 5, end: 10 }] }, records: "r.jsonl",
};
const parserFor = (m: ManifestInput, file = "r.jsonl") => {
  const dir = tempDir("records");
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
  const lm = loadManifest(join(dir, "manifest.json"));
  return new RecordParser(lm.layout, lm.manifest, file);
};
const dist = (p: RecordParser, fields: Record<string, unknown>) => Array.from(p.parse(JSON.stringify({ seed: 0, step: 0, probe: "p0", cue: "A", ...fields }))!.dist);

describe("a record's distribution over the options", () => {
  const p = parserFor(base);
  const cases: [string, Record<string, unknown>, number[]][] = [
    ["a chosen answer is one-hot", { answer: "y" }, [0, 1, 0]],
    ["an answer by index", { answer: 2 }, [0, 0, 1]],
    ["unnormalised log-probabilities are softmax-normalised", { logprobs: [0, 0, Math.log(2)] }, [0.25, 0.25, 0.5]],
    ["by option, null meaning −∞", { logprobs: { z: -1, x: -1, y: null } }, [0.5, 0, 0.5]],
  ];
  for (const [what, fields, want] of cases)
    it(what, () => dist(p, fields).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-7, `${v} vs ${want[i]}`)));

  it("gives a model's own float32 probabilities back bit for bit from their logarithms", () => {
    const probs = new Float32Array(3);
    for (let k = 1; k < 500; k++) {
      const logits = [Math.sin(k), Math.cos(3 * k) * 9, k % 7 - 20];
      const z = logits.map((l) => Math.exp(l - Math.max(...logits)));
      probs.set(z.map((v) => v / z.reduce((a, b) => a + b, 0)));
      const got = dist(p, { logprobs: Array.from(probs, (v) => (v > 0 ? Math.log(v) : null)) });
      assert.deepEqual(got, Array.from(probs), `case ${k}`);
    }
  });
});

describe("free-text answers graded against each environment's reference", () => {
  const free = { ...base, options: "free-text" as const, environments: [{ name: "A" }, { name: "B" }, { name: "C" }],
    probes: [{ id: "p0", references: { A: "a long answer", B: "yes", C: "yes" } }] };
  const p = parserFor(free);
  // options: reference 1 (A's text), reference 2 (the text B and C share), other
  const cases: [string, Record<string, number>, number[]][] = [
    ["an exact match of one reference is one-hot on it", { A: 1, B: 0, C: 0 }, [1, 0, 0]],
    ["an answer matching no reference is \"other\"", { A: 0, B: 0 }, [0, 0, 1]],
    ["partial agreements leave the rest to \"other\"", { A: 0.3, B: 0.2 }, [0.3, 0.2, 0.5]],
    ["agreements summing above 1 are normalised, \"other\" 0", { A: 0.8, B: 0.7 }, [0.8 / 1.5, 0.7 / 1.5, 0]],
    ["environments sharing a reference text share its option", { B: 0.6, C: 0.9 }, [0, 0.9, 0.1]],
  ];
  for (const [what, agreement, want] of cases)
    it(what, () => dist(p, { agreement }).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${v} vs ${want[i]}`)));

  it("scores an answer text by exact match with the references", () => {
    assert.deepEqual(dist(p, { answer: "yes" }), [0, 1, 0]);
    assert.deepEqual(dist(p, { answer: "maybe" }), [0, 0, 1]);
  });

  it("labels each environment with its reference's option", () => {
    const dir = tempDir("free");
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(free));
    const { layout } = loadManifest(join(dir, "manifest.json"));
    assert.deepEqual(layout.options, ["reference 1", "reference 2", "other"]);
    assert.deepEqual(Array.from(layout.cfLabels), [0, 1, 1]);
  });
});

describe("CSV records", () => {
  it("splits quoted fields", () => {
    assert.deepEqual(splitCsv('0,10,"a, ""quoted"" id",A,'), ["0", "10", 'a, "quoted" id', "A", ""]);
    assert.throws(() => splitCsv('0,"open'), /unterminated quoted CSV field/);
  });
  it("reads logprob:<option> columns, -inf as −∞, and refuses an unknown column by name", () => {
    const p = parserFor(base, "r.csv");
    assert.equal(p.parse("seed,step,probe,cue,logprob:x,logprob:y,logprob:z"), undefined);
    assert.deepEqual(Array.from(p.parse("0,5,p0,B,-inf,0,0")!.dist), [0, 0.5, 0.5]);
    const q = parserFor(base, "r.csv");
    assert.throws(() => q.parse("seed,step,probe,cue,logprobs:x"), /CSV header: unknown column "logprobs:x" \(did you mean "logprob:x"\?\)/);
  });
});

describe("the published JSON Schema", () => {
  it("is the one generated from the manifest's schema (regenerate: see docs/probe-log.md)", () => {
    const file = JSON.parse(readFileSync(join(root, "schemas/probe-log.schema.json"), "utf8"));
    assert.deepEqual(file, JSON.parse(JSON.stringify(probeLogJsonSchema())));
  });
  it("matches the example log's manifest", () => {
    const m = JSON.parse(readFileSync(join(root, "examples/probe-log/manifest.json"), "utf8"));
    assert.equal(manifestSchema.safeParse(m).success, true);
  });
});
