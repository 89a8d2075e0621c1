// Runs keep only their latest state, so watching a quantity along training (the LLC, sharpness)
// means training again: deterministically, so the trajectory is the stored run's own. One member
// trains alone (a one-seed shard): seed g's initialisation and data depend only on (spec seed, g),
// so it follows exactly the path it follows inside its ensemble, at a fraction of the cost.
import { tree } from "@jax-js/jax";
import type { ExperimentSpec } from "../experiment/schema.ts";
import { makePlan } from "../train/plan.ts";
import { ShardTrainer } from "../train/shard.ts";
import { EcotoneError } from "../util/errors.ts";
import type { Params as Tree } from "../dynamics/index.ts";
import { type AnyMember, anyMemberOf, type MemberParams, memberOf } from "./members.ts";

export interface Snapshot<P extends Tree = MemberParams> {
  step: number; // checkpoint step (0 = initialisation)
  params: P; // the member's parameters at that step (yours: dispose them)
  metrics: Record<string, number>; // the checkpoint's metrics for this seed (perf/acc:E, train/loss, ...)
}

/** Trains member `seed` of `spec` from scratch and snapshots it at every checkpoint of the spec. */
export const trainWithSnapshots = (spec: ExperimentSpec, seed = 0, onProgress?: (step: number, total: number) => void): Snapshot[] =>
  snapshots(spec, seed, memberOf, onProgress);

/** As trainWithSnapshots, for any model (see members.ts `anyMember`). */
export const trainAnyWithSnapshots = (spec: ExperimentSpec, seed = 0, onProgress?: (step: number, total: number) => void): Snapshot<AnyMember>[] =>
  snapshots(spec, seed, anyMemberOf, onProgress);

function snapshots<P extends Tree>(spec: ExperimentSpec, seed: number, take: (t: ShardTrainer, s: number) => P, onProgress?: (step: number, total: number) => void): Snapshot<P>[] {
  if (!Number.isInteger(seed) || seed < 0 || seed >= spec.seeds)
    throw new EcotoneError("E_ARGS", `seed must be an integer in [0, ${spec.seeds}), got ${seed}`);
  const plan = makePlan(spec);
  const trainer = new ShardTrainer(plan, [seed]);
  const out: Snapshot<P>[] = [];
  try {
    for (const ev of trainer.run(0)) {
      if (ev.type === "progress") onProgress?.(ev.step, spec.train.steps);
      if (ev.type !== "checkpoint") continue;
      const metrics = Object.fromEntries(Object.entries(ev.metrics).map(([k, v]) => [k, v[0]!]));
      out.push({ step: ev.step, params: take(trainer, seed), metrics });
    }
  } catch (e) {
    tree.dispose(out.map((s) => s.params));
    throw e;
  } finally {
    trainer.dispose();
  }
  return out;
}
