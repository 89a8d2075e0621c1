// `landscape` on a stored run: sharpness, trace, slice and robustness of one member, on the
// probes of its trained environments (its training distribution, clean labels).
import { tree } from "@jax-js/jax";
import { type Landscape, type LandscapeOptions, landscape } from "../dynamics/landscape.ts";
import type { Store } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { anyProbeBatch, memberSize, trainedEnvs } from "./members.ts";
import { disposeMember, loadAnyMember } from "./inspect.ts";

export interface RunLandscape extends Landscape {
  runId: string;
  seed: number;
  step: number; // checkpoint of the stored models
  params: number; // parameters of one member
  n: number; // probes in the batch (trained environments × probes per environment; a sequence world: prompts, each with its teacher's completion)
}

export async function landscapeOfRun(store: Store, runId: string, o: LandscapeOptions & { seed?: number } = {}): Promise<RunLandscape> {
  const m = await loadAnyMember(store, runId, o.seed ?? 0);
  try {
    if (m.diverged) throw new EcotoneError("E_DIVERGED", `run ${m.runId}: seed ${m.seed} diverged; pick another --seed`);
    const { batch, f, n } = anyProbeBatch(m.plan, trainedEnvs(m.plan));
    try {
      const r = landscape(f, m.params, batch, o);
      return { runId: m.runId, seed: m.seed, step: m.step, params: memberSize(m.params), n, ...r };
    } finally {
      tree.dispose(batch);
    }
  } finally {
    disposeMember(m);
  }
}
