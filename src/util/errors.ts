// User errors carry a code; the CLI prints their message and exits 1. Anything else is a bug
// and prints its stack (citty's CLIError habit).

export type ErrorCode =
  | "E_SPEC" // the spec file is malformed or has a wrong key or value
  | "E_ARGS" // bad command-line arguments
  | "E_STORE" // the run store cannot be opened or is inconsistent
  | "E_NOT_FOUND" // a run or sweep id that does not exist
  | "E_DIVERGED"; // a numerical failure, with where it happened

export class EcotoneError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "EcotoneError";
    this.code = code;
  }
}

export const specError = (message: string) => new EcotoneError("E_SPEC", message);

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The candidate closest to `name`, if it is close enough to be a plausible typo. */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.ceil(name.length / 2)) ? best : undefined;
}
