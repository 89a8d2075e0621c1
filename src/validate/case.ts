// A known-answer case of `ecotone validate`: a published (or hand-worked) value, the tolerance
// the measurement must land within, and how to measure it on this machine. One file per family
// under cases/, registered once in index.ts.

/** The known answer: a value (with a tolerance around it) or an interval [lo, hi]. */
export type Expected = number | readonly [number, number];

/** How far from an expected value a measurement may land: relative to |expected|, absolute, or both (the larger). */
export interface Tolerance {
  rel?: number;
  abs?: number;
}

export interface CaseOptions {
  quick: boolean; // the reduced budget (fewer chains, draws, seeds, steps) the tests run
}

export interface CaseResult {
  measured: number;
  spread?: number; // the measurement's own uncertainty: a standard error, an sd over seeds, a grid step
  expected?: Expected; // where the answer is only known once the run has chosen its settings (else the case's)
  pass: boolean;
  detail: string; // what else was checked, and the numbers behind the verdict
}

export interface Case {
  name: string; // family/instance, e.g. llc/linear-d3: what `--case` selects
  source: string; // where the answer comes from: a citation, or "by hand"
  expected: Expected;
  tolerance?: Tolerance; // with a value; an interval carries its own
  run(o: CaseOptions): CaseResult | Promise<CaseResult>;
}

/** Typed identity: a case as a plain object (citty's defineCommand habit). */
export const defineCase = (c: Case): Case => c;

/** The interval a measurement must land in. */
export function bounds(expected: Expected, tol: Tolerance = {}): [number, number] {
  if (typeof expected !== "number") return [expected[0], expected[1]];
  const w = Math.max((tol.rel ?? 0) * Math.abs(expected), tol.abs ?? 0);
  return [expected - w, expected + w];
}

/** Whether `measured` lands within the tolerance of `expected` (NaN never does). */
export function within(measured: number, expected: Expected, tol?: Tolerance): boolean {
  const [lo, hi] = bounds(expected, tol);
  return measured >= lo && measured <= hi;
}

/** A number printed to `digits` significant figures, without a trailing exponent for ordinary sizes. */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return Number(x.toPrecision(digits)).toString();
  return x.toExponential(digits - 1);
}

/** The expected column: "0.384 ± 15%", "1.5 ± 0.05", "[0.43, 0.57]", or "0.3" (exact, to rounding). */
export function describeExpected(expected: Expected, tol: Tolerance = {}): string {
  if (typeof expected !== "number") return `[${fmt(expected[0])}, ${fmt(expected[1])}]`;
  const rel = tol.rel ?? 0, abs = tol.abs ?? 0;
  if (rel === 0 && abs === 0) return fmt(expected);
  if (abs === 0 || rel * Math.abs(expected) >= abs) return `${fmt(expected)} ± ${Number((100 * rel).toPrecision(3))}%`;
  return `${fmt(expected)} ± ${fmt(abs, 2)}`;
}
