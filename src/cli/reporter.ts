// Output is pluggable (consola's reporters): a progress bar on a terminal, plain lines in CI or a
// pipe, and stdout kept clean for --json. Tests inject a reporter that collects into an array.
import cliProgress from "cli-progress";

export interface Reporter {
  start(label: string, total: number): void;
  update(done: number): void;
  stop(): void;
  info(line: string): void; // human-readable notes, to stderr
}

/** Picks the reporter for this process: a bar on a TTY stderr, plain lines otherwise. */
export function defaultReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  return stream.isTTY && !process.env.CI ? barReporter(stream) : lineReporter((l) => stream.write(l + "\n"));
}

export function barReporter(stream: NodeJS.WriteStream): Reporter {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(label, total) {
      bar = new cliProgress.SingleBar({ stream, format: `${label} [{bar}] {percentage}% | step {value}/{total} | eta {eta_formatted}`, hideCursor: true, etaBuffer: 50 }, cliProgress.Presets.shades_classic);
      bar.start(total, 0);
    },
    update: (done) => bar?.update(done),
    stop: () => { bar?.stop(); bar = undefined; },
    info: (line) => stream.write(line + "\n"),
  };
}

/** One line per tenth of the work, for logs. */
export function lineReporter(write: (line: string) => void): Reporter {
  let label = "", total = 0, next = 0;
  const t0 = { v: 0 };
  return {
    start(l, t) { [label, total, next, t0.v] = [l, t, 0, Date.now()]; },
    update(done) {
      if (done < next && done < total) return;
      next = done + Math.max(1, Math.ceil(total / 10));
      write(`${label}: step ${done}/${total} (${Math.round((100 * done) / total)}%, ${((Date.now() - t0.v) / 1000).toFixed(1)}s)`);
    },
    stop() {},
    info: write,
  };
}
