// The CLI is a thin shell: it parses arguments and hands off to a lazily loaded command module.
// User errors (EcotoneError) print their message and exit 1; anything else is a bug: stack, exit 2.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { EcotoneError } from "../util/errors.ts";

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${v}`);
  return n;
};
const intList = (name: string) => (v: string) => v.split(",").map(int(name));
const count = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${v}`);
  return n;
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got ${v}`);
  return n;
};
const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be an integer from 0 to 65535, got ${v}`);
  return n;
};

// Every machine of a team can point at one server: ECOTONE_STORE=postgres://user@host/db (the
// password from PGPASSWORD). The default is shown without the URL: it may hold a password.
// `--set path=value`, repeatable: overrides of any spec field, checked like the spec (src/experiment/overrides.ts).
const setOption = () => new Option("--set <path=value>", "set a spec field before the spec is checked, e.g. --set train.lr=0.01 (repeatable; value read as YAML)")
  .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
const storeOption = () =>
  new Option("--store <url>", "run store: a SQLite file or postgres://user:password@host/db")
    .default(process.env.ECOTONE_STORE || ".ecotone/ecotone.db", process.env.ECOTONE_STORE ? "$ECOTONE_STORE" : ".ecotone/ecotone.db");

const program = new Command("ecotone")
  .description("A lab for non-stationary training dynamics: seed ensembles under changing objectives.")
  .showHelpAfterError()
  .exitOverride();

program.command("run")
  .description("train a seed ensemble on a spec, evaluate probes at every checkpoint, store and export the run")
  .argument("[spec]", "experiment spec (YAML)")
  .argument("[overrides...]", "path=value pairs set in the spec before it is checked, e.g. train.lr=0.01 envs.1.objective=reward (values read as YAML)")
  .addOption(setOption())
  .addOption(storeOption())
  .option("--seeds <n>", "override the spec's number of seeds", int("--seeds"))
  .option("--steps <n>", "override the spec's number of training steps", int("--steps"))
  .option("--threads <n>", "worker threads (default: all cores when seeds ≥ 8)", int("--threads"))
  .option("--resume <runId>", "continue an interrupted run from its last checkpoint (id, unique prefix, or latest)")
  .option("--baselines", "also train the mixture model and one specialist per environment (the weighted-sum test)")
  .option("--out <dir>", "export folder (default: <store folder>/exports/<runId>)")
  .addOption(new Option("--keep-states <policy>", "saved training states kept once the run finishes: final, none, or every checkpoint (a resumed run keeps its own)").choices(["final", "none", "every"]).default("final"))
  .option("--allow-large", "run a spec beyond the resource limits (memory, steps, stored values) on purpose")
  .option("--json", "print one JSON object on stdout; progress goes to stderr")
  .action(async (spec, set, opts) => (await import("./commands/run.ts")).default(spec, { ...opts, set: [...set, ...(opts.set ?? [])] }));

program.command("plot")
  .description("draw a stored run: accuracy per environment, behaviour, class scores, mechanism")
  .argument("<runId>", "run id, a unique prefix, or latest")
  .requiredOption("-o, --out <file>", "output file, .svg or .png")
  .addOption(storeOption())
  .action(async (runId, opts) => (await import("./commands/plot.ts")).default(runId, opts));

program.command("ls")
  .description("list stored runs, newest first: id, name, status, class, seeds, steps, created, tags")
  .option("--name <substr>", "only runs whose name contains this")
  .option("--status <s>", "only runs with this status: running, completed, interrupted, failed, diverged, stale")
  .option("--class <label>", "only runs classified so (the class at the last checkpoint)")
  .option("--tag <t>", "only runs with this tag")
  .option("--sweep <id>", "only the runs of this sweep")
  .option("--since <when>", "only runs created since an ISO date (2026-12-01) or for an age (2h, 3d)")
  .addOption(storeOption())
  .option("--json", "print {runs:[...]} on stdout")
  .action(async (opts) => (await import("./commands/ls.ts")).default(opts));

program.command("show")
  .description("one run in full: spec (YAML), status and owner, summary with class intervals, tags, notes, divergences")
  .argument("<runId>", "run id, a unique prefix, or latest")
  .addOption(storeOption())
  .option("--json", "print one JSON object on stdout")
  .action(async (runId, opts) => (await import("./commands/show.ts")).default(runId, opts));

program.command("tag")
  .description("add tags to a run (or remove them with --remove)")
  .argument("<runId>", "run id, a unique prefix, or latest")
  .argument("<tags...>", "tags: letters, digits and _ . : + -")
  .option("--remove", "remove these tags instead")
  .addOption(storeOption())
  .option("--json", "print {runId, tags} on stdout")
  .action(async (runId, tags, opts) => (await import("./commands/tag.ts")).default(runId, tags, opts));

program.command("note")
  .description("append a timestamped note to a run (shown by `ecotone show`)")
  .argument("<runId>", "run id, a unique prefix, or latest")
  .argument("<text>", "the note")
  .addOption(storeOption())
  .option("--json", "print {runId, at, text} on stdout")
  .action(async (runId, text, opts) => (await import("./commands/note.ts")).default(runId, text, opts));

program.command("rm")
  .description("delete runs with their metrics, phases, divergences, saved state, tags and notes (one transaction)")
  .argument("<runIds...>", "run ids, unique prefixes, or latest")
  .option("--force", "also delete a sweep cell's run; the cell goes back to pending")
  .option("--dry-run", "list what would be deleted, delete nothing")
  .addOption(storeOption())
  .option("--json", "print {dryRun, runs:[...]} on stdout")
  .action(async (runIds, opts) => (await import("./commands/rm.ts")).default(runIds, opts));

program.command("gc")
  .description("delete saved training states no policy keeps (older states of finished runs, states of deleted runs) and reclaim the space")
  .addOption(storeOption())
  .option("--dry-run", "say what would be deleted, delete nothing")
  .addOption(new Option("--keep-states <policy>", "apply this policy to every finished run instead of each run's own").choices(["final", "none", "every"]))
  .option("--json", "print one JSON object on stdout")
  .action(async (opts) => (await import("./commands/gc.ts")).default(opts));

program.command("sweep")
  .description("run every cell of a sweep in parallel, resumably; export classes per cell, CSV, JSON and the phase diagram")
  .argument("<spec>", "sweep spec (YAML): base, grid, zip, seeds, quick; or `status` followed by a sweep id")
  .argument("[id]", "with status: the sweep id to report on (queued sweeps: each cell's state, tries, worker and error)")
  .addOption(setOption())
  .addOption(storeOption())
  .option("--workers <n>", "cells run at once, one process each (default: available cores)", int("--workers"))
  .option("--queue", "queue the cells in the PostgreSQL store for `ecotone worker` processes on any machines, instead of running them here")
  .option("--no-wait", "with --queue: return once the cells are queued (follow with `ecotone sweep status <id>`)")
  .option("--lease <seconds>", "with --queue: a cell whose worker is silent this long (killed, cut off) is retried by another (default 60)", int("--lease"))
  .option("--retries <n>", "with --queue: tries after the first before a failing cell is given up (default 2)", count("--retries"))
  .option("--quick", "apply the spec's quick: overrides (fewer steps, seeds or values)")
  .option("--allow-large", "run a sweep beyond the resource limits (cells, memory, steps, stored values) on purpose")
  .option("--json", "print one JSON object on stdout at the end; progress goes to stderr")
  .action(async (spec, id, opts) => (await import("./commands/sweep.ts")).default(spec, id, opts));

program.command("worker")
  .description("run queued sweep cells (ecotone sweep --queue) from a PostgreSQL store, until stopped; run one on every machine")
  .addOption(storeOption())
  .option("--concurrency <n>", "cells at once, one process each (default 1)", int("--concurrency"))
  .option("--name <name>", "a name shown with host and pid in the store and the dashboard (default: worker)")
  .action(async (opts) => (await import("./commands/worker.ts")).default(opts));

program.command("ui")
  .description("serve the dashboard: runs, live curves, phase diagrams, comparisons (read-only)")
  .addOption(storeOption())
  .option("--port <n>", "port to listen on; 0 picks a free one", port, 8420)
  .option("--host <host>", "address to listen on; anything but 127.0.0.1 or localhost exposes the store to the network (requests must still name localhost, 127.0.0.1, [::1] or this host)", "127.0.0.1")
  .action(async (opts) => (await import("./commands/ui.ts")).default(opts));

program.command("report")
  .description("write one self-contained HTML file (inline SVG, no network) for a run or a sweep")
  .argument("<id>", "run id (or a unique prefix, or latest), or sweep id")
  .requiredOption("-o, --out <file>", "output file, .html")
  .addOption(storeOption())
  .action(async (id, opts) => (await import("./commands/report.ts")).default(id, opts));

program.command("ingest")
  .description("read a probe log written by any framework (docs/probe-log.md): metrics, class with bootstrap intervals, stored as a run")
  .argument("<manifest>", "probe-log manifest (JSON)")
  .addOption(storeOption())
  .option("--follow", "keep reading a log still being written; store each checkpoint as it completes (live on the dashboard)")
  .option("--poll <ms>", "with --follow: how often to look for new records", int("--poll"))
  .option("--idle <s>", "with --follow: stop (interrupted, resumable) after this many seconds without a new record", int("--idle"))
  .option("--trainer-state <path>", "a Hugging Face trainer_state.json: its log_history curves are stored beside the probe metrics")
  .option("--again", "ingest as a new run even if this manifest was ingested before")
  .option("--out <dir>", "export folder (default: <store folder>/exports/<runId>)")
  .option("--json", "print one JSON object on stdout; progress goes to stderr")
  .action(async (manifest, opts) => (await import("./commands/ingest.ts")).default(manifest, opts));

program.command("export")
  .description("write runs as tidy tables for pandas/polars (docs/export.md); or one run as a probe log (trains it again; `ingest` reads it back)")
  .argument("<ids...>", "run ids (unique prefixes, latest), sweep ids (all their cells' runs) or tags (tag:NAME forces a tag)")
  .option("-o, --out <dir>", "folder for the tables: seeds, runs, perf, runs_meta, phases, divergences")
  .option("--format <f>", "parquet, csv or jsonl (default: parquet)")
  .option("--states", "also write each run's saved training state as states/<run_id>.safetensors")
  .option("--probe-log <dir>", "instead: one run as a probe log, manifest.json and the records, in this folder")
  .option("--gzip", "with --probe-log: gzip the records (records.jsonl.gz)")
  .addOption(storeOption())
  .option("--json", "print one JSON object on stdout")
  .action(async (ids, opts) => (await import("./commands/export.ts")).default(ids, opts));

program.command("bench")
  .description("model-steps/s and GFLOP/s of the reference workload (MLP 32→128→128→8, batch 64, Adam)")
  .option("--seeds <list>", "ensemble sizes, comma-separated", intList("--seeds"))
  .option("--threads <list>", "thread counts, comma-separated (default: 1 and all cores)", intList("--threads"))
  .option("--seconds <n>", "timed seconds per row", int("--seconds"))
  .option("--model <kind>", "the workload: mlp (default) or transformer (2 layers, d_model 64, 4 heads, context 32, vocabulary 32, batch 32; one thread; tokens/s)")
  .option("--compare-torch", "also time the same workload in PyTorch (/usr/bin/python3, bench/torch_*.py) and show it beside")
  .option("--engine <list>", "mlp: engines to time, comma-separated: fused (the Wasm kernel), jax (the jitted jax-js step); default both", (v: string) => v.split(","))
  .option("--no-metrics", "mlp: skip measuring the live metrics' share of a run's time")
  .option("--json", "print {results:[...]} on stdout")
  .action(async (opts) => (await import("./commands/bench.ts")).default(opts));

program.command("stability")
  .description("how stable is a trainer: spread of outcomes under perturbations of seed, data, lr, momentum (or the lr × momentum map)")
  .argument("<spec>", "experiment spec (YAML)")
  .addOption(setOption())
  .option("--perturb <dims>", "perturbation dimensions, comma-separated: seed,data,lr,momentum (default: all)")
  .option("--scale <x>", "relative size of lr and momentum changes: lr × (1 ± x), (1 − momentum) × (1 ± x)", num("--scale"))
  .option("--seed-variants <n>", "other base seeds tried by the seed dimension", int("--seed-variants"))
  .option("--dataset <n>", "pool size of the data dimension when the spec draws fresh data", int("--dataset"))
  .option("--map <axes>", "draw the structural stability map instead: lr,momentum")
  .option("--grid <LxM>", "map grid: learning rates x momenta, e.g. 5x5")
  .option("--lr-range <lo:hi>", "map: log-spaced learning rates (default: the spec's lr / 10 to × 10)")
  .option("--momentum-range <lo:hi>", "map: momenta, evenly spaced in log(1 − momentum) (default 0:0.95)")
  .option("-o, --out <file>", "map picture, .svg or .png")
  .option("--seeds <n>", "override the spec's number of seeds", int("--seeds"))
  .option("--steps <n>", "override the spec's number of training steps", int("--steps"))
  .option("--threads <n>", "worker threads per run", int("--threads"))
  .option("--no-reuse", "retrain runs even when the store holds a completed run of the same spec")
  .option("--certify [nodes]", "add a certified bound on KL over the probes' box for every matched pair (branch-and-bound sub-boxes per pair; default 100, fewer for large networks)")
  .addOption(storeOption())
  .option("--json", "print one JSON object on stdout; progress goes to stderr")
  .action(async (spec, opts) => (await import("./commands/stability.ts")).default(spec, opts));

program.command("disagree")
  .description("search the input on which two stored models disagree most (KL), against the best random input")
  .argument("<runA>", "run id of model A (or a unique prefix)")
  .argument("<runB>", "run id of model B (may equal runA with a different --seed-b)")
  .option("--seed <s>", "ensemble member of run A (and of B unless --seed-b)", count("--seed"))
  .option("--seed-b <s>", "ensemble member of run B", count("--seed-b"))
  .option("--restarts <n>", "gradient-ascent runs from random starts", int("--restarts"))
  .option("--steps <n>", "ascent steps per run (token prompts: rounds of coordinate search)", int("--steps"))
  .option("--samples <n>", "random inputs of the baseline (token prompts: random prompts the search starts from)", int("--samples"))
  .option("--step-a <n>", "compare run A's member at this checkpoint (retrained from its spec)", count("--step-a"))
  .option("--step-b <n>", "compare run B's member at this checkpoint (retrained from its spec)", count("--step-b"))
  .option("--certify", "also a certified upper bound on the disagreement over the region (IBP/CROWN + branch-and-bound)")
  .option("--region <r>", "certified region: box (the probes' box), world (mean ± 3 sd of the probes) or linf:EPS around --probe")
  .option("--probe <i>", "centre of --region linf:EPS: a probe row of run A", count("--probe"))
  .option("--budget <b>", "branch-and-bound budget: 30s (seconds) or 500 (sub-boxes; default 2000, fewer for large networks)")
  .option("--measure <m>", "certified measure: kl (default), tv or logit")
  .addOption(storeOption())
  .option("--json", "print one JSON object on stdout")
  .action(async (a, b, opts) => (await import("./commands/disagree.ts")).default(a, b, opts));

program.command("landscape")
  .description("sharpness, Hessian trace, 1-D loss slice, weight-noise and dropout robustness of a stored model")
  .argument("<runId>", "run id (or a unique prefix)")
  .option("--seed <s>", "ensemble member", count("--seed"))
  .option("--iters <n>", "power-iteration steps for the top eigenvalue", int("--iters"))
  .option("--samples <n>", "Hutchinson probes for the trace", int("--samples"))
  .option("--steps <n>", "points of the 1-D slice", int("--steps"))
  .option("--range <x>", "the slice spans [−x, x] along a filter-normalised direction", num("--range"))
  .option("--draws <n>", "noise and dropout draws per point", int("--draws"))
  .addOption(storeOption())
  .option("--json", "print one JSON object on stdout")
  .action(async (runId, opts) => (await import("./commands/landscape.ts")).default(runId, opts));

program.command("llc")
  .description("local learning coefficient (SGLD) of a stored model, or along training with change points")
  .argument("<target>", "run id, or a spec file (trained in-process, implies --trajectory)")
  .option("--trajectory", "retrain the run's spec and estimate the LLC at every checkpoint, with change points")
  .option("--seed <s>", "ensemble member", count("--seed"))
  .option("--step-size <x>", "SGLD step size ε (default: from the curvature at w*)", num("--step-size"))
  .option("--gamma <x>", "localisation strength γ (default 1, raised to fit the burn-in budget)", num("--gamma"))
  .option("--beta <x>", "inverse temperature β (default 1/log n)", num("--beta"))
  .option("--chains <n>", "independent chains (default 4)", int("--chains"))
  .option("--draws <n>", "recorded draws per chain (default 200)", int("--draws"))
  .option("--burn-in <n>", "discarded steps per chain (default: adaptive, up to --max-burn-in)", count("--burn-in"))
  .option("--max-burn-in <n>", "budget of the adaptive burn-in (default 200)", int("--max-burn-in"))
  .option("--batch-size <n>", "rows per SGLD gradient, stratified by environment (default 64)", int("--batch-size"))
  .option("--calibrate", "sweep γ (and check ε) and keep the setting where λ̂ is stable: several estimates' time")
  .option("--per-env <n>", "samples per trained environment behind L_n when the spec has no finite pool (default 1024)", int("--per-env"))
  .option("--penalty <x>", "change-point penalty (default 2 log n)", num("--penalty"))
  .option("--sampler-seed <s>", "seed of the SGLD noise", count("--sampler-seed"))
  .addOption(storeOption())
  .option("--json", "print one JSON object on stdout")
  .action(async (target, opts) => (await import("./commands/llc.ts")).default(target, opts));

program.command("simplicity")
  .description("simplicity bias on the LMS-k world: the label is both a linear and a slab feature; which one is used?")
  .argument("[spec]", "experiment spec on the lmsk world (default examples/simplicity.yaml)")
  .option("--seeds <n>", "override the spec's number of seeds", int("--seeds"))
  .option("--steps <n>", "override the spec's number of training steps", int("--steps"))
  .option("--threads <n>", "worker threads per run", int("--threads"))
  .option("--store <path>", "keep the runs in this SQLite store (default: in memory)")
  .option("--no-control", "skip the control run trained with the linear coordinate randomised")
  .option("--no-reuse", "retrain runs even when the store holds a completed run of the same spec")
  .option("--json", "print one JSON object on stdout")
  .action(async (spec, opts) => (await import("./commands/simplicity.ts")).default(spec, opts));

program.command("plasticity")
  .description("loss of plasticity on Dohare et al.'s slowly-changing regression: plain backprop against L2 Init and continual backprop")
  .option("--steps <n>", "training steps per learner (default 20000)", int("--steps"))
  .option("--seeds <n>", "independent runs per learner (default 16)", int("--seeds"))
  .option("--lr <x>", "SGD step size (default 0.03)", num("--lr"))
  .option("--json", "print one JSON object on stdout (every curve)")
  .action(async (opts) => (await import("./commands/plasticity.ts")).default(opts));

program.command("validate")
  .description("run the published known-answer cases (LLC, simplicity bias, CKA, heavy-ball threshold, continual metrics) and say which pass")
  .option("--quick", "the reduced budget (fewer seeds and steps), as the tests run it")
  .option("--case <names>", "only these cases, comma-separated: a name (llc/linear-d3), a family (llc), or another member of one (llc/rrr-3-5-2-2, llc/crossing-k2-3, heavy-ball/beta-0.7)")
  .option("--json", "print one JSON object on stdout; progress goes to stderr")
  .action(async (opts) => (await import("./commands/validate.ts")).default(opts));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 1);
  const { redactText } = await import("../store/url.ts"); // a store URL in a message loses its password
  const secrets = process.env.PGPASSWORD ? [process.env.PGPASSWORD] : [];
  if (e instanceof EcotoneError) {
    process.stderr.write(`ecotone: ${redactText(e.message, secrets)}\n`);
    process.exit(1);
  }
  process.stderr.write(`ecotone: internal error (a bug, please report it)\n${redactText(String((e as Error).stack ?? e), secrets)}\n`);
  process.exit(2);
}
