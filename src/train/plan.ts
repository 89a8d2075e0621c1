// Everything a run derives from its spec, deterministically: the world, the schedule, the probes,
// the model, the objectives. Workers rebuild it from the spec instead of receiving it.
import { createHash } from "node:crypto";
import { pluginsHash } from "../components/hash.ts";
import { worlds, type ProbeSet, type World } from "../envs/index.ts";
import type { Config, ExperimentSpec } from "../experiment/schema.ts";
import { windowSteps } from "../metrics/live/config.ts";
import { models, type Model } from "../models/index.ts";
import { objectives as registered, type ObjectiveDef } from "../objectives/index.ts";
import { makeSchedule, type Schedule } from "../schedules/index.ts";

export interface RunPlan {
  spec: ExperimentSpec;
  world: World;
  schedule: Schedule;
  probes: ProbeSet;
  model: Model;
  envNames: string[]; // trained environments, in spec order
  allEnvNames: string[]; // trained then novel
  objectives: { def: ObjectiveDef; config: Config }[]; // per trained environment
  kinds: ObjectiveDef[]; // the objectives present in the run, in registration order
  checkpoints: number[]; // steps at which probes are evaluated (0 = before training)
  windowSteps: number; // late window of the behavioural decomposition, in steps
}

export function makePlan(spec: ExperimentSpec): RunPlan {
  const envNames = spec.envs.map((e) => e.name);
  const world = worlds.get(spec.world.kind).create(spec.world, envNames, spec.novel);
  const { steps, evalEvery } = spec.train;
  const checkpoints: number[] = [];
  for (let t = 0; t < steps; t += evalEvery) checkpoints.push(t);
  checkpoints.push(steps);
  const schedule = makeSchedule(spec.schedule, envNames, steps, spec.seed);
  const objectives = spec.envs.map((e) => ({ def: registered.get(e.objective.kind), config: e.objective }));
  return {
    spec, world, envNames,
    allEnvNames: world.envs.map((e) => e.name),
    schedule,
    windowSteps: windowSteps(spec.metrics, steps, schedule.phases.length),
    probes: world.probes(spec.train.probes),
    model: models.get(spec.model.kind).create(spec.model, { input: world.inputDim, classes: world.classes, envs: envNames.length }),
    objectives,
    kinds: registered.all().filter((d) => objectives.some((o) => o.def === d)),
    checkpoints,
  };
}

/** A stable hash of the validated spec (defaults filled in) and its plugins' sources, to recognise identical experiments. */
export function specHash(spec: ExperimentSpec): string {
  if (!spec.plugins?.length) return createHash("sha256").update(canonical(spec)).digest("hex").slice(0, 16);
  // Plugins by their sources, not their paths: the same plugin in another checkout is the same experiment.
  const h = createHash("sha256").update(canonical({ ...spec, plugins: [] }));
  return h.update("\0plugins:").update(pluginsHash(spec.plugins)).digest("hex").slice(0, 16);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`).join(",")}}`;
  return JSON.stringify(v);
}
