// `ecotone disagree <runA> <runB>`: the input on which two stored models disagree most.
import { type DisagreeReport, disagreeRuns } from "../../stability/disagree.ts";
import { openStore } from "../../store/index.ts";

export interface DisagreeOpts { store: string; seed?: number; seedB?: number; restarts?: number; steps?: number; samples?: number; json?: boolean }

export default async function (runA: string, runB: string, o: DisagreeOpts): Promise<void> {
  const store = await openStore(o.store);
  try {
    const r = await disagreeRuns(store, runA, runB, { seedA: o.seed, seedB: o.seedB, restarts: o.restarts, steps: o.steps, samples: o.samples });
    console.log(o.json ? JSON.stringify(r) : render(r));
  } finally {
    await store.close();
  }
}

const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : "—");

export function render(r: DisagreeReport): string {
  const p = (xs: number[]) => `[${xs.map((x) => x.toFixed(2)).join(", ")}]`;
  return [
    `disagreement of ${r.a.runId} seed ${r.a.seed} (A) and ${r.b.runId} seed ${r.b.seed} (B), inputs in the box of their probes (${r.dim} dims)`,
    `  search:        KL(A ‖ B) = ${f(r.kl)} nats (projected gradient ascent)`,
    `  random inputs: KL(A ‖ B) ≤ ${f(r.randomMaxKl)} nats   → search/random = ${f(r.gain, 2)}×`,
    `  on the probes: mean KL ${f(r.probes.kl)} nats, JS ${f(r.probes.js)} bits, answers agree on ${f(r.probes.agreement, 3)} of ${r.probes.n}`,
    `  there A answers ${r.answers.a} with p = ${p(r.answers.pA)}; B answers ${r.answers.b} with p = ${p(r.answers.pB)}`,
    `  x: content ${p(r.x.content)}`,
    `     cue     ${p(r.x.cue)}`,
  ].join("\n");
}
