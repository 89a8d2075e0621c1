// The trainer's knobs and their defaults.
import { z } from "zod";
import { envTrainSchema, lrScheduleSchema } from "./lr.ts";

export const trainDefaults = {
  optimizer: "adam" as "sgd" | "momentum" | "adam", // update rule
  lr: 1e-3, // learning rate
  momentum: 0.9, // momentum coefficient (momentum SGD) or β1 (Adam)
  beta2: 0.999, // Adam's second-moment decay
  eps: 1e-8, // Adam's denominator guard
  weightDecay: 0, // decoupled weight decay per step, as a fraction of lr (sharing pressure)
  l2Init: 0, // decoupled pull toward the initial weights per step, as a fraction of lr (L2 Init, Kumar et al. 2023: keeps plasticity); 0 = off
  batch: 64, // examples per step per seed
  steps: 1000, // training steps
  evalEvery: 50, // steps between checkpoints (the probe sets are evaluated at every checkpoint)
  probes: 256, // probe inputs per environment
  dataset: 0, // training examples per environment: 0 = a fresh draw every step (infinite data), N = a fixed pool of N
  bootstrap: false, // with a finite dataset: each seed trains on its own bootstrap resample of the pool
  divergeAbove: 10, // a seed whose mean training loss between checkpoints is above this many times chance (log classes) at two checkpoints in a row, and rising, has diverged; 0 = only a non-finite loss
  // Optional keys (absent from a spec that leaves them out, so its hash and results stay as they were):
  // lrSchedule: { kind: constant | cosine | linear, warmup, final, perPhase } (src/train/lr.ts; absent: constant lr)
  gradClip: 0, // clip each seed's gradient to this global L2 norm before the update; 0 = off
  // perEnv: { <env>: { lr, lrSchedule, gradClip } }: an environment's own values on the steps it trains
  earlyStop: "never" as "never" | "allDiverged", // allDiverged: end the run (status diverged) as soon as every seed has diverged
};

export const trainSchema = z.strictObject({
  optimizer: z.enum(["sgd", "momentum", "adam"]).default(trainDefaults.optimizer),
  lr: z.number().positive().default(trainDefaults.lr),
  momentum: z.number().min(0).max(1).default(trainDefaults.momentum),
  beta2: z.number().min(0).max(1).default(trainDefaults.beta2),
  eps: z.number().positive().default(trainDefaults.eps),
  weightDecay: z.number().min(0).default(trainDefaults.weightDecay),
  l2Init: z.number().min(0).default(trainDefaults.l2Init),
  batch: z.int().min(1).max(65536).default(trainDefaults.batch),
  steps: z.int().min(1).default(trainDefaults.steps),
  evalEvery: z.int().min(1).default(trainDefaults.evalEvery),
  probes: z.int().min(8).max(65536).default(trainDefaults.probes),
  dataset: z.int().min(0).default(trainDefaults.dataset),
  bootstrap: z.boolean().default(trainDefaults.bootstrap),
  divergeAbove: z.number().min(0).default(trainDefaults.divergeAbove),
  lrSchedule: lrScheduleSchema.optional(),
  gradClip: z.number().min(0).optional(),
  perEnv: z.record(z.string(), envTrainSchema).optional(),
  earlyStop: z.enum(["never", "allDiverged"]).optional(),
  engine: z.enum(["auto", "fused", "jax"]).optional(), // who trains: the fused Wasm kernel or the jitted jax-js step (src/train/fused.ts; absent: auto)
});
export type TrainSpec = z.infer<typeof trainSchema>;
