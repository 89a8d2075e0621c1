// The dynamics library on a stored run's models: load the run, take one member, and measure it
// on its own training distribution. Shared by `ecotone landscape`, `llc` and `disagree`.
import { tree } from "@jax-js/jax";
import type { Store } from "../store/index.ts";
import type { ExperimentSpec } from "../experiment/schema.ts";
import { loadModels } from "../train/baselines.ts";
import { makePlan, type RunPlan } from "../train/plan.ts";
import { type MemberParams, memberOf } from "./members.ts";

export interface StoredMember {
  runId: string;
  spec: ExperimentSpec;
  plan: RunPlan;
  step: number; // the checkpoint the stored state is from
  seed: number;
  params: MemberParams; // yours: dispose when done
  diverged: boolean; // the seed's loss went non-finite during the run
}

/** Member `seed` of stored run `runId`, as a plain model's parameters. */
export async function loadMember(store: Store, runId: string, seed = 0): Promise<StoredMember> {
  const { trainer, spec, step } = await loadModels(store, runId);
  try {
    const params = memberOf(trainer, seed);
    const row = await store.getRun(runId);
    const diverged = (await store.divergences(row!.id)).some((d) => d.seed === seed);
    return { runId: row!.id, spec, plan: makePlan(spec), step, seed, params, diverged };
  } finally {
    trainer.dispose();
  }
}

export const disposeMember = (m: StoredMember) => tree.dispose(m.params);
