// Learning-rate schedules and gradient clipping over a run: the closed-form lr of every step, per
// environment when an environment asks for its own (say a reward phase after an SFT phase), and
// restarted at each phase start when asked. Evaluated in JS in float64 and handed to the jitted
// step as scalar arrays (see optim.ts stepInputs), so one compiled program serves every step.
import { z } from "zod";
import type { Schedule } from "../schedules/index.ts";

export const lrScheduleDefaults = {
  kind: "constant" as "constant" | "cosine" | "linear", // decay after the warm-up: none, half a cosine, or a straight line
  warmup: 0, // steps of linear warm-up from lr/warmup up to lr; 0 = none
  final: 0, // lr at the end of the decay, as a fraction of lr (cosine and linear)
  perPhase: false, // restart the warm-up and decay at each phase start, over that phase's length (else once over the run)
};

export const lrScheduleSchema = z.strictObject({
  kind: z.enum(["constant", "cosine", "linear"]).default(lrScheduleDefaults.kind),
  warmup: z.int().min(0).default(lrScheduleDefaults.warmup),
  final: z.number().min(0).max(1).default(lrScheduleDefaults.final),
  perPhase: z.boolean().default(lrScheduleDefaults.perPhase),
});
export type LrSchedule = z.infer<typeof lrScheduleSchema>;

/** What an environment may set for its own steps; unset fields follow `train:`. */
export const envTrainSchema = z.strictObject({
  lr: z.number().positive().optional(), // this environment's base lr
  lrSchedule: lrScheduleSchema.optional(), // its schedule (replaces train.lrSchedule on its steps)
  gradClip: z.number().min(0).optional(), // its clip threshold (0: none on its steps)
});
export type EnvTrain = z.infer<typeof envTrainSchema>;

/** The fields of `train:` this module reads (absent: constant lr, no clipping). */
export interface ScheduledTrain {
  lr: number;
  steps: number;
  lrSchedule?: LrSchedule;
  gradClip?: number;
  perEnv?: Record<string, EnvTrain>;
}

/**
 * The lr at step i (0-based) of a segment of `length` steps, base lr `lr`. Warm-up: lr·(i+1)/W for
 * i < W. Then, with progress p = (i − W)/(length − W) ∈ [0, 1): constant lr; cosine
 * lr·(f + (1 − f)(1 + cos πp)/2); linear lr·(1 − (1 − f)p).
 */
export function lrAt(s: LrSchedule, lr: number, i: number, length: number): number {
  if (i < s.warmup) return (lr * (i + 1)) / s.warmup;
  if (s.kind === "constant") return lr;
  const p = (i - s.warmup) / Math.max(1, length - s.warmup);
  return s.kind === "cosine" ? lr * (s.final + ((1 - s.final) * (1 + Math.cos(Math.PI * p))) / 2) : lr * (1 - (1 - s.final) * p);
}

/** Whether `train` schedules anything: otherwise the step keeps its constant lr (and its bits). */
export const scheduled = (t: ScheduledTrain): boolean => t.lrSchedule !== undefined || t.gradClip !== undefined || t.perEnv !== undefined;

export interface StepHyper {
  lr: number;
  clip?: number; // undefined: clipping is not compiled in; 0: none at this step
}

/**
 * Every step's lr and clip threshold over the run, for the environment `schedule` trains at each
 * step (mixture steps, −1, follow `train:`); undefined when the lr is constant and nothing is clipped.
 */
export function stepHyper(t: ScheduledTrain, schedule: Pick<Schedule, "sequence" | "phases">, envs: string[]): ((step: number) => StepHyper) | undefined {
  if (!scheduled(t)) return undefined;
  const clipped = (t.gradClip ?? 0) > 0 || Object.values(t.perEnv ?? {}).some((e) => (e.gradClip ?? 0) > 0);
  const perEnv = envs.map((n) => t.perEnv?.[n]);
  const constant = lrScheduleSchema.parse({});
  const phaseOf = new Int32Array(t.steps); // step → index of its phase
  schedule.phases.forEach((p, k) => phaseOf.fill(k, p.start, Math.min(p.end, t.steps)));
  const at = (step: number): StepHyper => {
    const e = schedule.sequence[step] ?? -1, own = e >= 0 ? perEnv[e] : undefined;
    const s = own?.lrSchedule ?? t.lrSchedule ?? constant, lr = own?.lr ?? t.lr;
    const phase = schedule.phases[phaseOf[step]!];
    const [origin, length] = s.perPhase && phase ? [phase.start, phase.end - phase.start] : [0, t.steps];
    return { lr: lrAt(s, lr, step - origin, length), clip: clipped ? own?.gradClip ?? t.gradClip ?? 0 : undefined };
  };
  // A schedule that never moves the lr and clips nothing is the constant path: Adam's program with
  // the lr as an input rounds one product differently (1 ulp), and writing a default out must change no bit.
  for (let step = 0; step < t.steps; step++) if (clipped || at(step).lr !== t.lr) return at;
  return undefined;
}

