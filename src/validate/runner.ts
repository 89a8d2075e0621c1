// Runs known-answer cases one after another and reports each: the source, the expected value
// with its tolerance, the measured value with its spread, pass or FAIL, and the time. A case that
// throws is a failure with its message (the suite goes on). Rendering is separate from running:
// the CLI prints the table or one JSON object; progress goes to a callback (stderr in the CLI).
import { init } from "@jax-js/jax";
import { EcotoneError, nearest } from "../util/errors.ts";
import { type Case, type Expected, type Tolerance, describeExpected, fmt } from "./case.ts";

export interface CaseReport {
  name: string;
  source: string;
  expected: Expected; // as the run resolved it
  tolerance: Tolerance | null;
  expectedText: string; // "0.384 ± 15%", "[0.43, 0.57]"
  measured: number | null; // null: NaN, or the case threw
  spread: number | null;
  pass: boolean;
  detail: string;
  seconds: number;
}

export interface ValidationReport {
  quick: boolean;
  cases: CaseReport[];
  passed: number;
  failed: number;
  seconds: number;
}

export interface RunValidationOptions {
  quick?: boolean;
  onCase?: (r: CaseReport, index: number, total: number) => void; // after each case
}

/**
 * The cases named (exactly, or a family prefix such as `llc` or `llc/`), in the registry's order;
 * all when none. A name the registry lacks may be built by `make` (another member of a family).
 */
export function selectCases(cases: Case[], names?: readonly string[], make?: (name: string) => Case | undefined): Case[] {
  if (!names || names.length === 0) return cases;
  const picked = new Set<Case>(), extra: Case[] = [];
  for (const q of names) {
    const family = q.replace(/\/$/, "");
    const hit = cases.filter((c) => c.name === q || c.name.startsWith(`${family}/`));
    const built = hit.length === 0 ? make?.(q) : undefined;
    if (built) extra.push(built);
    else if (hit.length === 0) {
      const near = nearest(q, cases.map((c) => c.name));
      throw new EcotoneError("E_ARGS", `unknown case: ${q}${near ? ` (did you mean ${near}?)` : ""}; cases: ${cases.map((c) => c.name).join(", ")}`);
    }
    hit.forEach((c) => picked.add(c));
  }
  return [...cases.filter((c) => picked.has(c)), ...extra];
}

/** Runs `cases` in order; never throws for a failing case. */
export async function runValidation(cases: Case[], o: RunValidationOptions = {}): Promise<ValidationReport> {
  const quick = o.quick ?? false, t0 = performance.now(), out: CaseReport[] = [];
  await init("wasm"); // the LLC, simplicity and heavy-ball cases run jax-js
  for (const [i, c] of cases.entries()) {
    const t = performance.now();
    let r: CaseReport;
    try {
      const res = await c.run({ quick });
      const expected = res.expected ?? c.expected;
      r = {
        name: c.name, source: c.source, expected, tolerance: c.tolerance ?? null, expectedText: describeExpected(expected, c.tolerance),
        measured: Number.isFinite(res.measured) ? res.measured : null,
        spread: res.spread !== undefined && Number.isFinite(res.spread) ? res.spread : null,
        pass: res.pass && Number.isFinite(res.measured), detail: res.detail, seconds: 0,
      };
    } catch (e) {
      r = {
        name: c.name, source: c.source, expected: c.expected, tolerance: c.tolerance ?? null, expectedText: describeExpected(c.expected, c.tolerance),
        measured: null, spread: null, pass: false, detail: `error: ${(e as Error).message}`, seconds: 0,
      };
    }
    r.seconds = (performance.now() - t) / 1000;
    out.push(r);
    o.onCase?.(r, i, cases.length);
  }
  const passed = out.filter((r) => r.pass).length;
  return { quick, cases: out, passed, failed: out.length - passed, seconds: (performance.now() - t0) / 1000 };
}

/** "1.511 ± 0.016", or "—" where nothing was measured. */
export const measuredText = (r: Pick<CaseReport, "measured" | "spread">) =>
  r.measured === null ? "—" : r.spread === null ? fmt(r.measured) : `${fmt(r.measured)} ± ${fmt(r.spread, 2)}`;

/** The table, the detail lines, and the last line a CI log greps: `validate: 17 passed, 0 failed`. */
export function renderValidation(v: ValidationReport): string {
  const head = ["case", "source", "expected", "measured ± spread", "result"];
  const rows = v.cases.map((r) => [r.name, r.source, r.expectedText, measuredText(r), r.pass ? "pass" : "FAIL"]);
  const width = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === cells.length - 1 ? c : c.padEnd(width[j]!))).join("  ");
  return [
    `known-answer cases${v.quick ? " (--quick: reduced budget)" : ""}, ${v.seconds.toFixed(1)} s`,
    "",
    line(head),
    ...rows.map(line),
    "",
    ...v.cases.map((r) => `${r.pass ? "  pass" : "  FAIL"} ${r.name} (${r.seconds.toFixed(1)} s): ${r.detail}`),
    "",
    `validate: ${v.passed} passed, ${v.failed} failed`,
  ].join("\n");
}
