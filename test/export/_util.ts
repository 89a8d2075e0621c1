// Helpers of the export tests: an independent CSV reader, and Python with pandas when there is one.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/** A strict RFC 4180 reader, independent of the writer under test. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n") row.push(field), rows.push(row), (row = []), (field = "");
    else field += c;
  }
  assert.equal(field + row.length, "0", "file ends with a line break");
  return rows;
}

// The first interpreter that has what a test needs: the one on PATH, then the system's (Debian's python3-pandas lands there).
const PYTHONS = ["python3", "/usr/bin/python3"];

/** Runs Python code with args in an interpreter that imports every module in `need`; `skip` says why none can. */
export function python(code: string, args: string[], need: string[] = []): { out?: string; skip?: string } {
  const why: string[] = [];
  for (const py of PYTHONS) {
    const probe = spawnSync(py, ["-c", need.map((m) => `import ${m}`).join(";") || "pass"], { encoding: "utf8" });
    if (probe.error) { why.push(`${py}: not found`); continue; }
    if (probe.status !== 0) { why.push(`${py}: ${probe.stderr.trim().split("\n").pop()}`); continue; }
    const r = spawnSync(py, ["-c", code, ...args], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return { out: r.stdout };
  }
  return { skip: why.join("; ") };
}
