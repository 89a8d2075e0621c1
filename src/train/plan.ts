// Everything a run derives from its spec, deterministically: the world, the schedule, the probes,
// the architecture. Workers rebuild it from the spec instead of receiving it.
import { createHash } from "node:crypto";
import { makeProbes, type ProbeSet } from "../envs/probes.ts";
import { TeacherWorld } from "../envs/teacher.ts";
import { arch, type Arch } from "../models/mlp.ts";
import type { ObjectiveKind, ObjectiveSpec } from "../objectives/index.ts";
import { makeSchedule, type Schedule } from "../schedules/index.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import { windowSteps } from "../metrics/measure.ts";

export interface RunPlan {
  spec: ExperimentSpec;
  world: TeacherWorld;
  schedule: Schedule;
  probes: ProbeSet;
  arch: Arch;
  envNames: string[]; // trained environments, in spec order
  allEnvNames: string[]; // trained then novel
  objectives: ObjectiveSpec[]; // per trained environment
  kinds: Set<ObjectiveKind>; // objectives present in the run
  checkpoints: number[]; // steps at which probes are evaluated (0 = before training)
  windowSteps: number; // late window of the behavioural decomposition, in steps
}

export function makePlan(spec: ExperimentSpec): RunPlan {
  const envNames = spec.envs.map((e) => e.name);
  const world = new TeacherWorld(spec.world, envNames, spec.novel);
  const { steps, evalEvery } = spec.train;
  const checkpoints: number[] = [];
  for (let t = 0; t < steps; t += evalEvery) checkpoints.push(t);
  checkpoints.push(steps);
  const schedule = makeSchedule(spec.schedule, envNames, steps, spec.seed);
  return {
    spec, world, envNames,
    allEnvNames: world.envs.map((e) => e.name),
    schedule,
    windowSteps: windowSteps(spec.metrics, steps, schedule.phases.length),
    probes: makeProbes(world, spec.train.probes),
    arch: arch(spec.model, world.inputDim, spec.world.classes, envNames.length),
    objectives: spec.envs.map((e) => e.objective),
    kinds: new Set(spec.envs.map((e) => e.objective.kind)),
    checkpoints,
  };
}

/** A stable hash of the validated spec (defaults filled in), to recognise identical experiments. */
export function specHash(spec: ExperimentSpec): string {
  return createHash("sha256").update(canonical(spec)).digest("hex").slice(0, 16);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`).join(",")}}`;
  return JSON.stringify(v);
}
