// The CLI is a thin shell: it parses arguments and hands off to a lazily loaded command module.
// User errors (EcotoneError) print their message and exit 1; anything else is a bug: stack, exit 2.
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { EcotoneError } from "../util/errors.ts";

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${v}`);
  return n;
};
const intList = (name: string) => (v: string) => v.split(",").map(int(name));
const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be an integer from 0 to 65535, got ${v}`);
  return n;
};

const program = new Command("ecotone")
  .description("A lab for non-stationary training dynamics: seed ensembles under changing objectives.")
  .showHelpAfterError()
  .exitOverride();

program.command("run")
  .description("train a seed ensemble on a spec, evaluate probes at every checkpoint, store and export the run")
  .argument("[spec]", "experiment spec (YAML)")
  .option("--store <path>", "run store: a SQLite file", ".ecotone/ecotone.db")
  .option("--seeds <n>", "override the spec's number of seeds", int("--seeds"))
  .option("--steps <n>", "override the spec's number of training steps", int("--steps"))
  .option("--threads <n>", "worker threads (default: all cores when seeds ≥ 8)", int("--threads"))
  .option("--resume <runId>", "continue an interrupted run from its last checkpoint")
  .option("--baselines", "also train the mixture model and one specialist per environment (the weighted-sum test)")
  .option("--out <dir>", "export folder (default: <store folder>/exports/<runId>)")
  .option("--json", "print one JSON object on stdout; progress goes to stderr")
  .action(async (spec, opts) => (await import("./commands/run.ts")).default(spec, opts));

program.command("plot")
  .description("draw a stored run: accuracy per environment, behaviour, class scores, mechanism")
  .argument("<runId>", "run id (or a unique prefix)")
  .requiredOption("-o, --out <file>", "output file, .svg or .png")
  .option("--store <path>", "run store: a SQLite file", ".ecotone/ecotone.db")
  .action(async (runId, opts) => (await import("./commands/plot.ts")).default(runId, opts));

program.command("sweep")
  .description("run every cell of a sweep in parallel, resumably; export classes per cell, CSV, JSON and the phase diagram")
  .argument("<spec>", "sweep spec (YAML): base, grid, zip, seeds, quick")
  .option("--store <path>", "run store: a SQLite file", ".ecotone/ecotone.db")
  .option("--workers <n>", "cells run at once, one process each (default: available cores)", int("--workers"))
  .option("--quick", "apply the spec's quick: overrides (fewer steps, seeds or values)")
  .option("--json", "print one JSON object on stdout at the end; progress goes to stderr")
  .action(async (spec, opts) => (await import("./commands/sweep.ts")).default(spec, opts));

program.command("ui")
  .description("serve the dashboard: runs, live curves, phase diagrams, comparisons (read-only)")
  .option("--store <path>", "run store: a SQLite file", ".ecotone/ecotone.db")
  .option("--port <n>", "port to listen on; 0 picks a free one", port, 8420)
  .option("--host <host>", "address to listen on; anything but 127.0.0.1 or localhost exposes the store to the network", "127.0.0.1")
  .action(async (opts) => (await import("./commands/ui.ts")).default(opts));

program.command("report")
  .description("write one self-contained HTML file (inline SVG, no network) for a run or a sweep")
  .argument("<id>", "run id (or a unique prefix), or sweep id")
  .requiredOption("-o, --out <file>", "output file, .html")
  .option("--store <path>", "run store: a SQLite file", ".ecotone/ecotone.db")
  .action(async (id, opts) => (await import("./commands/report.ts")).default(id, opts));

program.command("bench")
  .description("model-steps/s and GFLOP/s of the reference workload (MLP 32→128→128→8, batch 64, Adam)")
  .option("--seeds <list>", "ensemble sizes, comma-separated", intList("--seeds"))
  .option("--threads <list>", "thread counts, comma-separated (default: 1 and all cores)", intList("--threads"))
  .option("--seconds <n>", "timed seconds per row", int("--seconds"))
  .option("--json", "print {results:[...]} on stdout")
  .action(async (opts) => (await import("./commands/bench.ts")).default(opts));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 1);
  if (e instanceof EcotoneError) {
    process.stderr.write(`ecotone: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`ecotone: internal error (a bug, please report it)\n${(e as Error).stack ?? e}\n`);
  process.exit(2);
}
