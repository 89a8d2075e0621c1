// A probe log as the lab's metrics see a run: a RunPlan built from the manifest (environment names,
// the world's shape, the probe sets' labels, the schedule's phases and per-step sequence, the
// checkpoints and the late window) and, per checkpoint, a SeedContext whose outputs come from the
// records. What a log cannot have (hidden activations, gradients, parameters, training losses, the
// input vectors) throws Unavailable when a metric reads it: the metrics that need it are skipped.
import type { Phase } from "../schedules/index.ts";
import { windowSteps } from "../metrics/live/config.ts";
import type { SeedContext } from "../metrics/live/index.ts";
import type { RunPlan } from "../train/plan.ts";
import type { Checkpoint } from "./assemble.ts";
import type { LoadedManifest } from "./manifest.ts";

/** What a metric asked for that a probe log does not hold. */
export class Unavailable extends Error {
  constructor(readonly what: string) {
    super(`${what} is not in a probe log`);
  }
}

/** `o` whose missing fields throw Unavailable (named `what.field`) instead of reading as undefined. */
export function guarded<T extends object>(o: T, what: string): T {
  return new Proxy(o, {
    get(t, k, r) {
      if (typeof k === "symbol" || k in t) return Reflect.get(t, k, r);
      if (k === "then" || k === "toJSON" || k === "constructor") return undefined; // probes by await, JSON and inspection
      throw new Unavailable(`${what}.${k}`);
    },
  });
}

/** The schedule of a probe log: the manifest's phases, adjacent ones of the same environment merged (as the lab's schedules count phases). */
export function logSchedule(lm: LoadedManifest): RunPlan["schedule"] {
  const { steps, phases: given } = lm.manifest.schedule;
  const trained = lm.layout.trained;
  const sequence = new Int32Array(steps);
  const phases: Phase[] = [];
  let switches = 0;
  for (const p of given) {
    sequence.fill(p.env === "mixture" ? -1 : trained.indexOf(p.env), p.start, p.end);
    const last = phases[phases.length - 1];
    if (last && last.env === p.env) last.end = p.end;
    else {
      if (last) switches++;
      phases.push({ start: p.start, end: p.end, env: p.env });
    }
  }
  const kind = lm.manifest.schedule.kind ?? (phases.length === 1 && phases[0]!.env === "mixture" ? "mixture" : "phases");
  return guarded({ kind, sequence, phases, volatility: switches / steps }, "schedule") as unknown as RunPlan["schedule"]; // no assign(): a log has no batches to fill
}

/**
 * The RunPlan of a probe log. Real: envNames, allEnvNames, world.{trained, classes, envs, facts},
 * probes.{envs, n, labels, cfLabels}, schedule.{kind, sequence, phases, volatility}, checkpoints
 * (growing: the steps measured so far, which is all a metric reads of them), windowSteps, and the
 * spec fields metrics read (seeds, schedule.kind, metrics, plugins, baselines). Anything else throws Unavailable.
 */
export function ingestPlan(lm: LoadedManifest, o: { baselines: boolean }): RunPlan {
  const { layout: L, manifest: m } = lm;
  const E = L.trained.length, N = L.N;
  const schedule = logSchedule(lm);
  const metrics = { window: m.window, mechanismProbes: 0, conflict: true, skip: [] as string[] };
  const agree = E >= 2 ? L.cfLabels.subarray(0, N).reduce((a, y, i) => a + +(y === L.cfLabels[N + i]), 0) / N : null;
  const plan = {
    spec: guarded({
      name: m.name, seeds: L.seeds.length, plugins: [] as string[], baselines: o.baselines, metrics,
      schedule: guarded({ kind: schedule.kind }, "spec.schedule"),
      train: guarded({ steps: m.schedule.steps }, "spec.train"),
    }, "spec"),
    world: guarded({
      trained: E, classes: L.options.length,
      envs: L.all.map((name, e) => ({ name, novel: e >= E })),
      // the cue is text here: how well it decodes is unknown; agreement is over the counterfactual probes' references
      facts: () => ({ cueDecodability: NaN, labelAgreement: agree }),
    }, "world"),
    schedule,
    probes: guarded({ envs: L.all.length, n: N, labels: L.labels, cfLabels: L.cfLabels }, "probes"),
    model: guarded({ hidden: [] as number[], heads: 1 }, "model"),
    envNames: L.trained,
    allEnvNames: L.all,
    checkpoints: [] as number[],
    windowSteps: windowSteps(metrics, m.schedule.steps, schedule.phases.length),
  };
  return guarded(plan, "plan") as unknown as RunPlan;
}

/** The context a per-seed metric measures checkpoint `cp` in: outputs and counterfactual probabilities from the records, nothing else. */
export function seedContext(plan: RunPlan, cp: Checkpoint, seeds: number[], reference?: SeedContext["reference"]): SeedContext {
  const cf = guarded({ probs: cp.cf }, "counterfactual()");
  return guarded({ step: cp.step, plan, seeds, outputs: () => cp.outputs, counterfactual: () => cf, reference }, "checkpoint context") as unknown as SeedContext;
}
