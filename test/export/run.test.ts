// What `ecotone run` leaves in the run's export folder: the tidy tables as CSV, metrics.csv (long)
// and run.json, read back by an independent CSV reader and by Python's csv module.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { csvField, exportRun } from "../../src/export/index.ts";
import { openStore, type MetricPoint, type Store } from "../../src/store/index.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { parseCsv } from "./_util.ts";

const tmp = mkdtempSync(join(tmpdir(), "ecotone-export-run-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cell = (s: string) => (s === "" ? null : Number(s));
const ODD = 'odd,"key"\nwith newline';
const KEYS = ["perf/acc:B", "perf/acc:A", ODD, "loss"];
const VALUES = [0.1 + 0.2, 1e-300, -5e-324, 123456789.123456789, null, 2 / 3, -0.5, 1e21, 42];

describe("exportRun", () => {
  let store: Store;
  let points: MetricPoint[];
  let files: string[];
  const dir = join(tmp, "out", "run");
  before(async () => {
    store = await openStore(join(tmp, "export.db"));
    await store.createRun({
      id: "ex-0001",
      name: "mix",
      specJson: JSON.stringify({ name: "mix", schedule: { kind: "blocks", phaseSteps: 50 } }),
      specHash: "abc",
      seeds: 3,
      steps: 100,
      volatility: 0.02,
      envs: ["A", "B"],
    });
    let i = 0;
    for (const step of [0, 50, 100]) {
      const ps = KEYS.flatMap((key) => [-1, 0, 1, 2].map((seed) => ({ step, seed, key, value: VALUES[i++ % VALUES.length]! })));
      await store.writeCheckpoint("ex-0001", step, ps);
    }
    await store.writePhases("ex-0001", [{ start: 0, end: 50, env: "A" }, { start: 50, end: 100, env: "B" }]);
    await store.recordDivergence("ex-0001", { seed: 2, step: 77, env: "B", what: "NaN loss" });
    await store.finishRun("ex-0001", "completed", { class: "churn", ci: [0.1, 0.9] });
    points = await store.metrics("ex-0001");
    ({ files } = await exportRun(store, "ex-0", dir)); // by prefix, into a folder that does not exist yet
  });
  after(() => store.close());

  it("writes the tables as CSV, then metrics.csv and run.json", () => {
    const names = ["seeds", "runs", "perf", "runs_meta", "phases", "divergences"].map((t) => `${t}.csv`);
    assert.deepEqual(files, [...names, "metrics.csv", "run.json"].map((f) => join(dir, f)));
  });

  it("metrics.csv parses back to the same points", () => {
    const [header, ...rows] = parseCsv(readFileSync(join(dir, "metrics.csv"), "utf8"));
    assert.deepEqual(header, ["step", "seed", "key", "value"]);
    const back = rows.map(([step, seed, key, value]) => ({ step: Number(step), seed: Number(seed), key: key!, value: cell(value!) }));
    assert.deepEqual(back, points);
  });

  it("seeds.csv: one row per step and seed ≥ 0, one sorted column per key, values exact", () => {
    const [header, ...rows] = parseCsv(readFileSync(join(dir, "seeds.csv"), "utf8"));
    assert.deepEqual(header, ["run_id", "step", "seed", "trained_env", ...[...KEYS].sort()]);
    assert.deepEqual(rows.map((r) => `${r[1]}/${r[2]}/${r[3]}`), ["0/0/", "0/1/", "0/2/", "50/0/A", "50/1/A", "50/2/A", "100/0/B", "100/1/B", "100/2/B"]);
    assert.ok(rows.every((r) => r[0] === "ex-0001"));
    const back = rows.flatMap(([, step, seed, , ...cells]) => cells.map((c, k) => ({ step: Number(step), seed: Number(seed), key: header![k + 4]!, value: cell(c) })));
    const id = (p: MetricPoint) => `${p.step}|${p.seed}|${p.key}`;
    const byId = (a: MetricPoint, b: MetricPoint) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
    assert.deepEqual(back.sort(byId), points.filter((p) => p.seed >= 0).sort(byId));
  });

  it("perf.csv holds only the performance matrix", () => {
    const [header, ...rows] = parseCsv(readFileSync(join(dir, "perf.csv"), "utf8"));
    assert.deepEqual(header, ["run_id", "step", "seed", "trained_env", "perf/acc:A", "perf/acc:B"]);
    assert.equal(rows.length, 9);
  });

  it("runs.csv holds seed −1 alone, with a class column (empty: this run stores no label)", () => {
    const [header, ...rows] = parseCsv(readFileSync(join(dir, "runs.csv"), "utf8"));
    assert.deepEqual(header, ["run_id", "step", "trained_env", "class", ...[...KEYS].sort()]);
    assert.deepEqual(rows.map((r) => r[1]), ["0", "50", "100"]);
    assert.ok(rows.every((r) => r[3] === ""));
    const atMinus1 = points.filter((p) => p.seed === -1 && p.key === "perf/acc:A").map((p) => p.value);
    assert.deepEqual(rows.map((r) => cell(r[header!.indexOf("perf/acc:A")]!)), atMinus1);
  });

  it("run.json holds the run with parsed spec and summary, phases and divergences", () => {
    const json = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    assert.equal(json.id, "ex-0001");
    assert.equal(json.specJson, undefined);
    assert.deepEqual(json.spec, { name: "mix", schedule: { kind: "blocks", phaseSteps: 50 } });
    assert.deepEqual(json.summary, { class: "churn", ci: [0.1, 0.9] });
    assert.deepEqual(json.envs, ["A", "B"]);
    assert.equal(json.status, "completed");
    assert.equal(json.lastStep, 100);
    assert.deepEqual(json.phases, [{ start: 0, end: 50, env: "A" }, { start: 50, end: 100, env: "B" }]);
    assert.deepEqual(json.divergences, [{ seed: 2, step: 77, env: "B", what: "NaN loss" }]);
  });

  it("Python's csv module reads the same numbers", (t) => {
    const code = `import csv,json,sys
rows=list(csv.reader(open(sys.argv[1],newline="")))[1:]
print(json.dumps([[int(r[0]),int(r[1]),r[2],float(r[3]) if r[3] else None] for r in rows]))`;
    const py = spawnSync("python3", ["-c", code, join(dir, "metrics.csv")], { encoding: "utf8" });
    if (py.error) return t.skip("no python3");
    assert.equal(py.status, 0, py.stderr);
    assert.deepEqual(JSON.parse(py.stdout), points.map((p) => [p.step, p.seed, p.key, p.value]));
  });

  it("quotes only fields that need it", () => {
    assert.equal(csvField("perf/acc:A"), "perf/acc:A");
    assert.equal(csvField('a,"b"'), '"a,""b"""');
    assert.equal(csvField("a\r\nb"), '"a\r\nb"');
  });

  it("refuses an unknown run", async () => {
    await assert.rejects(exportRun(store, "missing", dir), (err) => err instanceof EcotoneError && err.code === "E_NOT_FOUND");
  });
});
