// exportRuns: one file per table, a manifest, byte-identical output from the same store, an
// earlier export replaced (and only its files), and the saved states as safetensors files.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parquetReadObjects } from "hyparquet";
import { exportRuns, isSafetensors, MANIFEST } from "../../src/export/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { fillStore, RUNS, SEEDS, STEPS } from "./_store.ts";

const tmp = mkdtempSync(join(tmpdir(), "ecotone-export-all-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const TABLE_FILES = (ext: string) => ["seeds", "runs", "perf", "runs_meta", "phases", "divergences"].map((t) => `${t}.${ext}`);
const read = (dir: string) => Object.fromEntries(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => [join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name))]));

/** A minimal safetensors file: one float32 tensor [2] = [1, 2]. */
function safetensors(): Uint8Array {
  const header = Buffer.from(JSON.stringify({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }));
  const out = Buffer.alloc(8 + header.length + 8);
  out.writeBigUInt64LE(BigInt(header.length), 0);
  header.copy(out, 8);
  out.writeFloatLE(1, 8 + header.length);
  out.writeFloatLE(2, 12 + header.length);
  return new Uint8Array(out);
}

describe("exportRuns", () => {
  let store: Store;
  before(async () => {
    store = await openStore(join(tmp, "s.db"));
    // the first run's state in the new format, the second's an older raw Float32 blob, the third has none
    await fillStore(store, { [RUNS[0]!]: safetensors(), [RUNS[1]!]: new Uint8Array(new Float32Array([1, 2, 3]).buffer) });
  });
  after(() => store.close());

  it("recognises safetensors bytes by their header", () => {
    assert.equal(isSafetensors(safetensors()), true);
    assert.equal(isSafetensors(new Uint8Array(new Float32Array([1, 2, 3]).buffer)), false);
    const bad = safetensors();
    bad[0] = 255; // a header longer than the file
    assert.equal(isSafetensors(bad), false);
    assert.equal(isSafetensors(new Uint8Array(4)), false);
  });

  it("writes one Parquet file per table and a manifest; hyparquet reads every row back", async () => {
    const dir = join(tmp, "pq");
    const r = await exportRuns(store, RUNS, dir, { format: "parquet" });
    assert.deepEqual(r.files, [...TABLE_FILES("parquet"), MANIFEST]);
    assert.deepEqual(r.notes, []);
    const seeds = await parquetReadObjects({ file: new Uint8Array(readFileSync(join(dir, "seeds.parquet"))).buffer });
    assert.equal(seeds.length, RUNS.length * STEPS.length * SEEDS.length);
    assert.deepEqual(Object.keys(seeds[0]!).slice(0, 4), ["run_id", "step", "seed", "trained_env"]);
    const meta = await parquetReadObjects({ file: new Uint8Array(readFileSync(join(dir, "runs_meta.parquet"))).buffer });
    assert.deepEqual(meta.map((m) => [m.run_id, m.cell, m["param.world.distinguishability"]]), [[RUNS[0], 1, 0], [RUNS[1], 2, 0.5], [RUNS[2], null, null]]);
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), "utf8"));
    assert.deepEqual(manifest.runs, RUNS);
    assert.deepEqual(manifest.tables.map((t: any) => [t.file, t.rows]), [["seeds.parquet", 18], ["runs.parquet", 9], ["perf.parquet", 18], ["runs_meta.parquet", 3], ["phases.parquet", 6], ["divergences.parquet", 1]]);
  });

  for (const format of ["parquet", "csv", "jsonl"] as const) {
    it(`the same store gives byte-identical ${format} files`, async () => {
      const a = join(tmp, `det-a-${format}`), b = join(tmp, `det-b-${format}`);
      await exportRuns(store, RUNS, a, { format, states: true });
      await exportRuns(store, RUNS, b, { format, states: true });
      assert.deepEqual(read(a), read(b));
    });
  }

  it("an earlier export in the folder is replaced with a note; files that are not its own stay", async () => {
    const dir = join(tmp, "again");
    await exportRuns(store, RUNS, dir, { format: "csv", states: true });
    writeFileSync(join(dir, "my-notes.txt"), "mine");
    const r = await exportRuns(store, [RUNS[2]!], dir, { format: "parquet" });
    assert.match(r.notes.join("\n"), /held an earlier export: its 7 file\(s\) were replaced \(7 no longer written, removed\)/);
    assert.deepEqual(readdirSync(dir).sort(), [...TABLE_FILES("parquet"), MANIFEST, "my-notes.txt", "states"].sort());
    assert.deepEqual(readdirSync(join(dir, "states")), []);
    assert.equal(readFileSync(join(dir, "my-notes.txt"), "utf8"), "mine");
  });

  it("a folder without a manifest: same-named tables are overwritten with a note, other formats kept", async () => {
    const dir = join(tmp, "bare");
    mkdirSync(dir);
    writeFileSync(join(dir, "seeds.csv"), "old");
    writeFileSync(join(dir, "seeds.parquet"), "old");
    const r = await exportRuns(store, RUNS, dir, { format: "csv" });
    assert.match(r.notes.join("\n"), /its 1 file\(s\) were replaced$/);
    assert.equal(readFileSync(join(dir, "seeds.parquet"), "utf8"), "old");
    assert.match(readFileSync(join(dir, "seeds.csv"), "utf8"), /^run_id,step,seed,trained_env,/);
  });

  it("--states writes safetensors bytes as they are stored and skips other states with the reason", async () => {
    const dir = join(tmp, "states");
    const r = await exportRuns(store, RUNS, dir, { format: "csv", states: true });
    assert.deepEqual(r.files.filter((f) => f.startsWith("states")), [join("states", `${RUNS[0]}.safetensors`)]);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, "states", `${RUNS[0]}.safetensors`))), safetensors());
    assert.equal(existsSync(join(dir, "states", `${RUNS[1]}.safetensors`)), false);
    assert.deepEqual(r.notes, [
      `run ${RUNS[1]}: its saved state (step 20) is not in safetensors format (stored by an older ecotone): skipped`,
      `run ${RUNS[2]} has no saved state: skipped`,
    ]);
  });

  it("refuses an unknown format and an empty list before writing anything", async () => {
    const dir = join(tmp, "refused");
    await assert.rejects(exportRuns(store, RUNS, dir, { format: "xlsx" as never }), (e) => e instanceof EcotoneError && /--format must be one of parquet, csv, jsonl, got xlsx/.test(e.message));
    await assert.rejects(exportRuns(store, [], dir, { format: "csv" }), (e) => e instanceof EcotoneError && e.code === "E_ARGS");
    await assert.rejects(exportRuns(store, ["rmissing"], dir, { format: "csv" }), (e) => e instanceof EcotoneError && e.code === "E_NOT_FOUND");
    assert.equal(existsSync(dir), false);
  });
});
