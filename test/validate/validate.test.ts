// `ecotone validate` on this machine: every known-answer case passes with --quick, the table and
// the JSON read as documented (docs/validate.md), and a failing or throwing case is reported as a
// failure with exit code 1 rather than raised.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  bounds, defineCase, describeExpected, familyCase, measuredText, renderValidation, runValidation, selectCases, validationCases, within,
} from "../../src/validate/index.ts";

const bin = join(import.meta.dirname, "../../bin/ecotone.js");
const ecotone = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, CI: "1" } });

describe("ecotone validate", () => {
  it("passes every case with --quick: a table, a progress line per case on stderr, the count last, exit 0", (t) => {
    const names = validationCases().map((c) => c.name);
    const r = ecotone("validate", "--quick");
    for (const line of r.stdout.trimEnd().split("\n")) t.diagnostic(line);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.at(-1), `validate: ${names.length} passed, 0 failed`);
    assert.match(lines[0]!, /^known-answer cases \(--quick: reduced budget\), \d+\.\d s$/);
    assert.match(lines[2]!, /^case\s+source\s+expected\s+measured ± spread\s+result$/);
    for (const [i, name] of names.entries()) {
      assert.match(lines[3 + i]!, new RegExp(`^${name.replace(/[.]/g, "\\.")}\\s+\\S.*\\s+pass$`), lines[3 + i]);
      assert.match(r.stderr, new RegExp(`validate \\[${i + 1}/${names.length}\\] ${name.replace(/[.]/g, "\\.")}: pass \\(`));
    }
    assert.match(r.stdout, /llc\/crossing-k4\s+Watanabe 2009: 1\/\(2 max k\), n = 1000 by quadrature\s+0\.1\d+ ± 15%\s+0\.1\d+ ± 0\.0\d+\s+pass/);
  });

  it("--json prints one object; --case picks cases by name or family", () => {
    const r = ecotone("validate", "--case", "continual,heavy-ball/beta-0.5", "--json");
    assert.equal(r.status, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(v).sort(), ["cases", "failed", "passed", "quick", "seconds"]);
    assert.deepEqual(v.cases.map((c: { name: string }) => c.name), [
      "heavy-ball/beta-0.5", "continual/forgetting-2x2", "continual/acc-4x4", "continual/bwt-4x4", "continual/fwt-4x4", "continual/forgetting-4x4",
    ]);
    assert.deepEqual([v.passed, v.failed, v.quick], [6, 0, false]);
    const hb = v.cases[0];
    assert.deepEqual(Object.keys(hb).sort(), ["detail", "expected", "expectedText", "measured", "name", "pass", "seconds", "source", "spread", "tolerance"]);
    assert.equal(hb.expected, 3);
    assert.ok(Math.abs(hb.measured - 3) <= hb.spread, JSON.stringify(hb));
  });

  it("refuses an unknown case with the nearest name, and a family member with impossible parameters, exit 1", () => {
    const r = ecotone("validate", "--case", "cka/invariances");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ecotone: unknown case: cka\/invariances \(did you mean cka\/invariance\?\); cases: llc\/linear-d3, /);
    const bad = ecotone("validate", "--case", "llc/rrr-3-2-2-3");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^ecotone: case llc\/rrr-3-2-2-3: aoyagi: expected positive integers M, N, H and a rank 0 ≤ r ≤ min\(M, N, H\), got M 3, N 2, H 2, r 3\n/);
  });

  it("builds another member of a family from its name", () => {
    const cases = selectCases(validationCases(), ["llc/rrr-3-5-2-2", "heavy-ball/beta-0.7", "llc/crossing-k2-3", "cka"], familyCase);
    assert.deepEqual(cases.map((c) => c.name), ["cka/invariance", "cka/anisotropic", "llc/rrr-3-5-2-2", "heavy-ball/beta-0.7", "llc/crossing-k2-3"]); // registry order, then the built ones
    assert.deepEqual([cases[2]!.expected, cases[3]!.expected], [6, 3.4]); // Aoyagi: (3, 5, 2, 2) → 6; 2(1 + 0.7)
    assert.ok(Math.abs((cases[4]!.expected as number) - 0.105) < 0.001, String(cases[4]!.expected)); // quadrature at n = 1000, data seed 2024
    assert.equal(familyCase("llc/linear"), undefined);
    assert.throws(() => familyCase("heavy-ball/beta-1.5"), /^EcotoneError: case heavy-ball\/beta-1.5: heavy-ball: expected a momentum 0 ≤ β < 1 \(where the threshold holds\), got 1.5$/);
  });
});

describe("runValidation", () => {
  const good = defineCase({ name: "toy/good", source: "by hand", expected: 2, tolerance: { rel: 0.1 }, run: () => ({ measured: 2.1, spread: 0.05, pass: within(2.1, 2, { rel: 0.1 }), detail: "ok" }) });
  const bad = defineCase({ name: "toy/bad", source: "by hand", expected: [0, 1], run: () => ({ measured: 1.5, pass: within(1.5, [0, 1]), detail: "out" }) });
  const broken = defineCase({ name: "toy/broken", source: "by hand", expected: 1, run: () => { throw new Error("NaN loss at step 3"); } });
  const nan = defineCase({ name: "toy/nan", source: "by hand", expected: 1, run: () => ({ measured: NaN, pass: true, detail: "claims a pass" }) });

  it("reports a failing, a throwing and a NaN case as failures and goes on", async () => {
    const seen: string[] = [];
    const v = await runValidation([good, bad, broken, nan], { onCase: (r, i, n) => seen.push(`${i + 1}/${n} ${r.name} ${r.pass}`) });
    assert.deepEqual(seen, ["1/4 toy/good true", "2/4 toy/bad false", "3/4 toy/broken false", "4/4 toy/nan false"]);
    assert.deepEqual([v.passed, v.failed], [1, 3]);
    assert.equal(v.cases[2]!.detail, "error: NaN loss at step 3");
    assert.equal(v.cases[3]!.measured, null);
    const text = renderValidation(v);
    assert.match(text, /toy\/good\s+by hand\s+2 ± 10%\s+2\.1 ± 0\.05\s+pass\n/);
    assert.match(text, /toy\/bad\s+by hand\s+\[0, 1\]\s+1\.5\s+FAIL\n/);
    assert.match(text, /toy\/broken\s+by hand\s+1\s+—\s+FAIL\n/);
    assert.match(text, /\n  FAIL toy\/broken \(\d+\.\d s\): error: NaN loss at step 3\n/);
    assert.match(text, /\nvalidate: 1 passed, 3 failed$/);
  });

  it("selects by exact name or family, keeping the registry's order", () => {
    const cases = [good, bad, broken];
    assert.deepEqual(selectCases(cases, ["toy/broken", "toy/good"]).map((c) => c.name), ["toy/good", "toy/broken"]);
    assert.deepEqual(selectCases(cases, ["toy"]).map((c) => c.name), ["toy/good", "toy/bad", "toy/broken"]);
    assert.equal(selectCases(cases).length, 3);
    assert.throws(() => selectCases(cases, ["toy/god"]), /^EcotoneError: unknown case: toy\/god \(did you mean toy\/good\?\)/);
  });

  const table: [string, Parameters<typeof describeExpected>, string][] = [
    ["a relative tolerance", [0.1295, { rel: 0.15 }], "0.1295 ± 15%"],
    ["an absolute tolerance", [0.5, { abs: 0.066 }], "0.5 ± 0.066"],
    ["the larger of the two", [3, { rel: 0.01, abs: 0.5 }], "3 ± 0.5"],
    ["an interval", [[0.43, 0.57]], "[0.43, 0.57]"],
    ["an exact value", [0.3], "0.3"],
  ];
  for (const [what, args, want] of table) it(`describes the expected value with ${what}`, () => assert.equal(describeExpected(...args), want));

  it("within: the tolerance band, inclusive; NaN never", () => {
    assert.deepEqual(bounds(2, { rel: 0.1, abs: 0.05 }), [1.8, 2.2]);
    assert.ok(within(2.2, 2, { rel: 0.1 }) && !within(2.21, 2, { rel: 0.1 }) && !within(NaN, 2, { rel: 1 }));
    assert.equal(measuredText({ measured: 0.13640123, spread: 0.0087234 }), "0.1364 ± 0.0087");
  });
});
