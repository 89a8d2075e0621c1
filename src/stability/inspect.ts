// The dynamics library on a stored run's models: load the run, take one member, and measure it
// on its own training distribution. Shared by `ecotone landscape`, `llc` and `disagree`.
import { tree } from "@jax-js/jax";
import type { Store } from "../store/index.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import { loadModels } from "../train/baselines.ts";
import { makePlan, type RunPlan } from "../train/plan.ts";
import type { ShardTrainer } from "../train/shard.ts";
import type { Params as Tree } from "../dynamics/index.ts";
import { type AnyMember, anyMemberOf, type MemberParams, memberOf } from "./members.ts";

export interface StoredMember<P extends Tree = MemberParams> {
  runId: string;
  spec: ExperimentSpec;
  plan: RunPlan;
  step: number; // the checkpoint the stored state is from
  seed: number;
  params: P; // yours: dispose when done
  diverged: boolean; // the seed's loss went non-finite during the run
}

/** Member `seed` of stored run `runId`, as a plain model's parameters (an MLP's; other models are refused). */
export const loadMember = (store: Store, runId: string, seed = 0): Promise<StoredMember> => load(store, runId, seed, memberOf);

/** Member `seed` of stored run `runId` of any model (see members.ts `anyMember`). */
export const loadAnyMember = (store: Store, runId: string, seed = 0): Promise<StoredMember<AnyMember>> => load(store, runId, seed, anyMemberOf);

async function load<P extends Tree>(store: Store, runId: string, seed: number, take: (t: ShardTrainer, s: number) => P): Promise<StoredMember<P>> {
  const { trainer, spec, step } = await loadModels(store, runId);
  try {
    const params = take(trainer, seed);
    const row = await store.getRun(runId);
    const diverged = (await store.divergences(row!.id)).some((d) => d.seed === seed);
    return { runId: row!.id, spec, plan: makePlan(spec), step, seed, params, diverged };
  } finally {
    trainer.dispose();
  }
}

export const disposeMember = (m: StoredMember<Tree>) => tree.dispose(m.params);
