// The three formats hold the same table: Parquet read back by hyparquet (and by pandas where it has
// a Parquet engine), CSV by an independent reader and pandas, JSON lines by JSON.parse and pandas.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import { toCsv, toJsonl, toParquet, type Table } from "../../src/export/index.ts";
import { inferColumn } from "../../src/export/table.ts";
import { parseCsv, python } from "./_util.ts";

const tmp = mkdtempSync(join(tmpdir(), "ecotone-export-fmt-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Doubles that a lossy writer would change: the shortest decimal of a sum, a subnormal, tiny, huge, many digits.
const DOUBLES = [0.1 + 0.2, 1e-300, 5e-324, 123456789.123456789, null, 2 / 3, -0.5, 1e21, 42];
const table: Table = {
  name: "t",
  columns: [
    { name: "run_id", type: "string", values: DOUBLES.map((_, i) => (i < 5 ? "r1" : 'r,"2"\nü')), required: true },
    { name: "step", type: "int", values: DOUBLES.map((_, i) => i * 50), required: true },
    { name: "trained_env", type: "string", values: DOUBLES.map((_, i) => (i === 0 ? null : i % 2 ? "A" : "B")) },
    { name: "perf/acc:A", type: "double", values: DOUBLES },
    { name: "ok", type: "bool", values: DOUBLES.map((_, i) => (i === 3 ? null : i % 2 === 0)) },
    inferColumn("param.schedule", DOUBLES.map((_, i) => (i % 2 ? { kind: "mixture" } : { phaseSteps: 10, kind: "blocks" }))),
  ],
};
const expected = DOUBLES.map((_, i) => Object.fromEntries(table.columns.map((c) => [c.name, c.values[i]])));

describe("formats", () => {
  it("infers a column's type: int, double, bool, string, else canonical JSON", () => {
    assert.equal(inferColumn("a", [1, null, -3]).type, "int");
    assert.equal(inferColumn("a", [1, 0.5]).type, "double");
    assert.deepEqual(inferColumn("a", [1, Infinity, NaN]).values, [1, null, null]);
    assert.equal(inferColumn("a", [2 ** 31]).type, "double"); // beyond INT32
    assert.equal(inferColumn("a", [true, null]).type, "bool");
    assert.equal(inferColumn("a", ["x", null]).type, "string");
    assert.equal(inferColumn("a", [null, null]).type, "string");
    assert.deepEqual(inferColumn("a", [{ b: 1, a: [2] }, "x"]), { name: "a", type: "json", values: ['{"a":[2],"b":1}', '"x"'] });
  });

  it("Parquet reads back with hyparquet: same values bit for bit, same types, required columns", async () => {
    const buf = toParquet(table);
    const rows = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer });
    assert.deepEqual(rows, expected);
    const schema = parquetSchema(parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer)).children.map((c) => [c.element.name, c.element.type, c.element.repetition_type]);
    assert.deepEqual(schema, [
      ["run_id", "BYTE_ARRAY", "REQUIRED"], ["step", "INT32", "REQUIRED"], ["trained_env", "BYTE_ARRAY", "OPTIONAL"],
      ["perf/acc:A", "DOUBLE", "OPTIONAL"], ["ok", "BOOLEAN", "OPTIONAL"], ["param.schedule", "BYTE_ARRAY", "OPTIONAL"],
    ]);
  });

  it("the same table gives the same bytes", () => {
    assert.deepEqual(toParquet(table), toParquet(structuredClone(table)));
    assert.equal(toCsv(table), toCsv(structuredClone(table)));
  });

  it("a table without rows is still a file with its columns", async () => {
    const empty: Table = { name: "e", columns: [{ name: "run_id", type: "string", values: [], required: true }, { name: "seed", type: "int", values: [] }] };
    const buf = toParquet(empty);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    assert.deepEqual(await parquetReadObjects({ file: ab }), []);
    assert.deepEqual(parquetSchema(parquetMetadata(ab)).children.map((c) => c.element.name), ["run_id", "seed"]);
    assert.equal(toCsv(empty), "run_id,seed\n");
    assert.equal(toJsonl(empty), "");
  });

  it("CSV reads back with a strict RFC 4180 reader", () => {
    const [header, ...rows] = parseCsv(toCsv(table));
    assert.deepEqual(header, table.columns.map((c) => c.name));
    const parse = (type: string, s: string) => (s === "" ? null : type === "int" || type === "double" ? Number(s) : type === "bool" ? s === "true" : s);
    assert.deepEqual(rows.map((r) => Object.fromEntries(r.map((s, k) => [header![k]!, parse(table.columns[k]!.type, s)]))), expected);
  });

  it("JSON lines read back with JSON.parse", () => {
    const lines = toJsonl(table).split("\n");
    assert.equal(lines.pop(), "");
    assert.deepEqual(lines.map((l) => JSON.parse(l)), expected);
  });

  // pandas' default text parsers round the last digit (0.1 + 0.2 comes back as 0.3): exact with
  // float_precision="round_trip" / precise_float=True, as docs/export.md says; Parquet is exact as it is.
  // pandas 1.5's precise JSON reader refuses subnormals (5e-324: "Range error"), so the JSON lines
  // file here holds the smallest normal double in their place; docs/export.md says so too.
  it("pandas reads the CSV and the JSON lines with the same numbers (exactly, with its round-trip options)", (t) => {
    writeFileSync(join(tmp, "t.csv"), toCsv(table));
    const normal = DOUBLES.map((v) => (v === 5e-324 ? 2.2250738585072014e-308 : v));
    writeFileSync(join(tmp, "t.jsonl"), toJsonl({ ...table, columns: table.columns.map((c) => (c.name === "perf/acc:A" ? { ...c, values: normal } : c)) }));
    const code = `import json,sys,math
import pandas as pd
out={}
for name,df in (("csv",pd.read_csv(sys.argv[1],float_precision="round_trip")),("jsonl",pd.read_json(sys.argv[2],lines=True,precise_float=True)),("csv_default",pd.read_csv(sys.argv[1]))):
    out[name]={"columns":list(df.columns),"acc":[None if math.isnan(v) else v for v in df["perf/acc:A"]],"step":[int(v) for v in df["step"]],"run_id":list(df["run_id"])}
print(json.dumps(out))`;
    const r = python(code, [join(tmp, "t.csv"), join(tmp, "t.jsonl")], ["pandas"]);
    if (r.skip) return t.skip(r.skip);
    const out = JSON.parse(r.out!);
    for (const f of ["csv", "jsonl"]) {
      assert.deepEqual(out[f].columns, table.columns.map((c) => c.name));
      assert.deepEqual(out[f].acc, f === "csv" ? DOUBLES : normal);
      assert.deepEqual(out[f].step, table.columns[1]!.values);
      assert.deepEqual(out[f].run_id, table.columns[0]!.values);
    }
    out.csv_default.acc.forEach((v: number | null, i: number) => {
      const want = DOUBLES[i]!;
      if (want === null) assert.equal(v, null);
      else assert.ok(Math.abs(v! - want) <= 4 * Number.EPSILON * Math.abs(want), `${v} vs ${want}`);
    });
  });

  it("pandas reads the Parquet file with the same numbers", (t) => {
    writeFileSync(join(tmp, "t.parquet"), toParquet(table));
    const code = `import json,sys,math
import pandas as pd
df=pd.read_parquet(sys.argv[1])
print(json.dumps({"columns":list(df.columns),"acc":[None if math.isnan(v) else v for v in df["perf/acc:A"]],"step":[int(v) for v in df["step"]],"dtype":str(df["step"].dtype)}))`;
    const r = python(code, [join(tmp, "t.parquet")], ["pandas", "pyarrow"]);
    if (r.skip) return t.skip(`no Parquet engine for pandas (pyarrow is not packaged in Debian 12; fastparquet neither): ${r.skip}`);
    const out = JSON.parse(r.out!);
    assert.deepEqual(out.columns, table.columns.map((c) => c.name));
    assert.deepEqual(out.acc, DOUBLES);
    assert.deepEqual(out.step, table.columns[1]!.values);
    assert.equal(out.dtype, "int32");
  });
});
