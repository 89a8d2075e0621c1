// `ecotone export` as a user meets it: a real process over a store, sweeps, tags, `latest` and
// prefixes resolved to runs; bad input named; and a real (tiny) trained run read back from Parquet.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parquetReadObjects } from "hyparquet";
import { LABEL_CODES } from "../../src/metrics/classify.ts";
import { openStore } from "../../src/store/index.ts";
import { parseCsv } from "./_util.ts";
import { fillStore, RUNS, SWEEP } from "./_store.ts";

const bin = join(import.meta.dirname, "../../bin/ecotone.js");
const dir = mkdtempSync(join(tmpdir(), "ecotone-export-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const ecotone = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
const db = join(dir, "s.db");
const exported = (args: string[]) => {
  const r = ecotone("export", ...args, "--store", db, "--json");
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};
const csvColumn = (file: string, name: string) => {
  const [head, ...rows] = parseCsv(readFileSync(file, "utf8"));
  return rows.map((r) => r[head!.indexOf(name)]);
};
const readParquet = (file: string) => parquetReadObjects({ file: new Uint8Array(readFileSync(file)).buffer });

describe("ecotone export", () => {
  before(async () => {
    const store = await openStore(db);
    await fillStore(store);
    await store.tagRun(RUNS[0]!, ["rsol"]); // a tag that is also a prefix of a run id
    await store.close();
  });

  it("a sweep id exports its cells' runs in cell order; a tag its runs; ids, prefixes and latest each once", () => {
    const out = exported([SWEEP, "keep", "rsolo000", RUNS[1]!, "latest", "-o", "a", "--format", "csv"]);
    assert.deepEqual(out.runIds, [RUNS[0], RUNS[1], RUNS[2]]);
    assert.equal(out.format, "csv");
    assert.deepEqual(csvColumn(join(dir, "a/runs_meta.csv"), "cell"), ["1", "2", ""]);
    assert.deepEqual(out.files.slice(0, 2), [join("a", "seeds.csv"), join("a", "runs.csv")]);
    assert.deepEqual(exported(["keep", "-o", "b", "--format", "jsonl"]).runIds, [RUNS[2]]);
  });

  it("the default format is Parquet; a sweep by prefix; the tables load back with the cells' parameters", async () => {
    exported([SWEEP.slice(0, 5), "-o", "pq"]); // a sweep by a unique prefix
    const meta = await readParquet(join(dir, "pq/runs_meta.parquet"));
    assert.deepEqual(meta.map((m) => [m.cell, m["param.world.distinguishability"], m["param.schedule"]]), [[1, 0, '{"kind":"mixture"}'], [2, 0.5, '{"kind":"blocks","phaseSteps":10}']]);
  });

  it("an argument that names a run and a tag is refused; tag: picks the tag", () => {
    const r = ecotone("export", "rsol", "-o", "c", "--store", db);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /rsol names both run rsolo0000001 and tag rsol: give the full id, or tag:rsol for the tag/);
    assert.deepEqual(exported(["tag:rsol", "-o", "c"]).runIds, [RUNS[0]]);
  });

  it("names what is wrong: an unknown name (with the nearest tag), a format, a missing -o, an ambiguous prefix", () => {
    const cases: [string[], RegExp][] = [
      [["kep", "-o", "d"], /no run, sweep or tag kep in .*s\.db \(did you mean tag keep\?\)/],
      [["keep", "-o", "d", "--format", "parket"], /--format must be one of parquet, csv, jsonl, got parket \(did you mean parquet\?\)/],
      [["keep"], /-o DIR is required/],
      [["rcell", "-o", "d"], /run id prefix rcell is ambiguous: rcell0000001, rcell0000002/],
      [["keep", "latest", "--probe-log", "d"], /--probe-log exports one run, got 2/],
    ];
    for (const [args, message] of cases) {
      const r = ecotone("export", ...args, "--store", db);
      assert.equal(r.status, 1, args.join(" "));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // a user error, not a stack trace
    }
  });

  it("a real trained run: perf holds the performance matrix, runs the class by name, trained_env the schedule", async () => {
    writeFileSync(join(dir, "tiny.yaml"), `name: export-tiny
seeds: 2
world: { content: 12, cue: 4, classes: 4 }
envs: [{ name: A, objective: sft }, { name: B, objective: reward }]
schedule: { kind: blocks, phaseSteps: 20 }
model: { hidden: [16] }
train: { steps: 60, evalEvery: 20, batch: 16, probes: 32 }
`);
    const run = ecotone("run", "tiny.yaml", "--store", "real.db", "--json");
    assert.equal(run.status, 0, run.stderr);
    const runId = JSON.parse(run.stdout).runId as string;
    // what `run` itself left: the tidy tables as CSV beside metrics.csv
    assert.deepEqual(csvColumn(join(dir, "exports", runId, "perf.csv"), "trained_env").slice(0, 4), ["", "", "A", "A"]);
    const r = ecotone("export", "latest", "-o", "real", "--store", "real.db");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /exported 1 run\(s\) as parquet to real\n {2}seeds\.parquet +8 rows/);
    assert.match(r.stdout, /load with: pd\.read_parquet\("real\/seeds\.parquet"\)/);
    const perf = await readParquet(join(dir, "real/perf.parquet"));
    assert.deepEqual(Object.keys(perf[0]!), ["run_id", "step", "seed", "trained_env", ...["acc", "loss", "reward"].flatMap((m) => ["A", "B"].map((e) => `perf/${m}:${e}`))]);
    assert.deepEqual(perf.map((p) => [p.step, p.trained_env]), [[0, null], [0, null], [20, "A"], [20, "A"], [40, "B"], [40, "B"], [60, "A"], [60, "A"]]);
    const runs = await readParquet(join(dir, "real/runs.parquet"));
    assert.ok(runs.length === 4 && runs.every((x) => (LABEL_CODES as readonly unknown[]).includes(x.class)), JSON.stringify(runs.map((x) => x.class)));
    assert.equal("class/label" in runs[0]!, false);
    const seeds = await readParquet(join(dir, "real/seeds.parquet"));
    assert.ok(Object.keys(seeds[0]!).length > Object.keys(perf[0]!).length + 10, "seeds holds every metric");
    assert.ok(seeds.every((s) => s.seed === 0 || s.seed === 1));
  });
});
