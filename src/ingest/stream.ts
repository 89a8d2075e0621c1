// Reads a probe log's record files side by side, line by line, and hands on each checkpoint as it
// completes. Problems are located (file:line: field: expected …, found …) and collected, up to a
// limit, so one pass reports several; warnings (a duplicate with the same answer) go to `warn`.
import { relative } from "node:path";
import { Assembler, type Checkpoint } from "./assemble.ts";
import { fileLines } from "./_lines.ts";
import type { LoadedManifest } from "./manifest.ts";
import { LogProblem, RecordParser } from "./records.ts";

export interface StreamOptions {
  follow: boolean; // tail files still being written until `signal` aborts
  pollMs: number;
  idleMs?: number; // follow: stop after this long without a new line
  signal?: AbortSignal;
  maxProblems: number; // stop reading after this many problems
  warn(line: string): void;
  /** Each complete checkpoint, in step order; true when it completes the run (a followed log is then left; a finished one is read to its end). */
  onCheckpoint(cp: Checkpoint): Promise<boolean> | boolean;
}

export interface StreamResult {
  problems: string[]; // located, in words
  records: number; // record lines read
  stopped: "end" | "complete" | "signal" | "idle" | "problems";
}

/** A path as messages show it: relative to the working directory when that is shorter. */
export function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.length < file.length && !rel.startsWith("..") ? rel : file;
}

export async function streamLog(lm: LoadedManifest, o: StreamOptions): Promise<StreamResult> {
  const files = lm.records.map(shown);
  const asm = new Assembler(lm.layout, files, lm.manifest.checkpoints);
  const halt = new AbortController();
  let stopped: StreamResult["stopped"] = "end";
  const stop = (why: StreamResult["stopped"]) => { if (!halt.signal.aborted) { stopped = why; halt.abort(); } };
  const onAbort = () => stop("signal");
  o.signal?.addEventListener("abort", onAbort, { once: true });
  if (o.signal?.aborted) stop("signal");
  let idle: NodeJS.Timeout | undefined;
  const touch = () => {
    if (!o.follow || o.idleMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => stop("idle"), o.idleMs);
  };
  touch();

  const problems: string[] = [];
  const problem = (text: string) => { problems.push(text); if (problems.length >= o.maxProblems) stop("problems"); };
  const readers = lm.records.map((file, i) => ({
    i, file: files[i]!, line: 0, parser: new RecordParser(lm.layout, lm.manifest, file),
    it: fileLines(file, { follow: o.follow, pollMs: o.pollMs, signal: halt.signal })[Symbol.asyncIterator](),
  }));
  type Reader = (typeof readers)[number];
  type Got = { r: Reader; res?: IteratorResult<string>; err?: unknown };
  const pull = (r: Reader): Promise<Got> => r.it.next().then((res) => ({ r, res }), (err: unknown) => ({ r, err }));
  const inflight = new Map(readers.map((r) => [r.i, pull(r)]));
  let records = 0;
  try {
    while (inflight.size > 0 && !halt.signal.aborted) {
      const { r, res, err } = await Promise.race(inflight.values());
      inflight.delete(r.i);
      if (err !== undefined) { problem(readError(r.file, r.line, err)); break; }
      if (res!.done) continue;
      r.line++;
      if (halt.signal.aborted) break; // a partial line handed out as the stream closed
      touch();
      try {
        const rec = r.parser.parse(res!.value);
        if (rec) {
          records++;
          const w = asm.add(rec, r.i, r.line);
          if (w) o.warn(`${r.file}:${r.line}: ${w}`);
        }
      } catch (e) {
        if (!(e instanceof LogProblem)) throw e;
        problem(`${r.file}:${r.line}: ${e.message}`);
      }
      if (problems.length === 0) for (const cp of asm.ready()) if ((await o.onCheckpoint(cp)) && o.follow) { stop("complete"); break; }
      inflight.set(r.i, pull(r));
    }
  } finally {
    clearTimeout(idle);
    o.signal?.removeEventListener("abort", onAbort);
    halt.abort();
    await Promise.all(readers.map((r) => r.it.return?.(undefined).catch(() => {})));
  }
  if (stopped === "end" && problems.length === 0 && !o.follow) {
    // The log ended: whatever is still being filled will never complete.
    const gap = asm.missingCheckpoint();
    if (gap !== undefined && asm.pending > 0) problems.push(`${files.join(", ")}: checkpoint ${gap} (in the manifest's checkpoints) has no records, but later checkpoints do`);
    for (const text of asm.incomplete()) problems.push(`${files.join(", ")}: the log ends with ${text}`);
  }
  return { problems, records, stopped: problems.length > 0 ? "problems" : stopped };
}

function readError(file: string, line: number, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === "ENOENT") return `${file}: cannot read the record file: no such file`;
  if (err.code === "EISDIR") return `${file}: cannot read the record file: it is a directory`;
  if (err.code === "Z_BUF_ERROR") return `${file}: after line ${line}: the gzip stream ends early (a truncated file?)`;
  if (err.code?.startsWith("Z_")) return `${file}: after line ${line}: not a valid gzip stream (${err.message})`;
  return `${file}: after line ${line}: cannot read: ${err.message}`;
}
