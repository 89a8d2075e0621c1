// Disagreement search between two stored models (SPEC claim 5): the input, inside the box the
// probes span, on which member `seedA` of run A and member `seedB` of run B disagree most
// (KL(p_A ‖ p_B), by projected gradient ascent), against the best of many random inputs.
import { nn, numpy as np, tree } from "@jax-js/jax";
import { type DisagreementOptions, maxDisagreement } from "../dynamics/index.ts";
import { outputDistance } from "../dynamics/distance.ts";
import type { Store } from "../store/index.ts";
import { EcotoneError } from "../util/errors.ts";
import { archOf, memberModel, probeRows } from "./members.ts";
import { withDefaults } from "./_options.ts";
import { disposeMember, loadMember, type StoredMember } from "./inspect.ts";

export const disagreeDefaults = { restarts: 8, steps: 200, lr: 0.05, samples: 4096, seed: 0 };

export interface DisagreeReport {
  a: { runId: string; seed: number };
  b: { runId: string; seed: number };
  dim: number; // input dimension (content + cue)
  box: [number, number][]; // per input dimension: [min, max] over both runs' probes
  kl: number; // KL(p_A ‖ p_B) at the input found
  randomMaxKl: number; // the largest KL over `samples` uniform inputs in the box
  gain: number; // kl / randomMaxKl: how much the search beats random probing
  x: { content: number[]; cue: number[] }; // the input found, split as the world builds inputs
  answers: { a: number; b: number; pA: number[]; pB: number[] }; // greedy answers and output distributions there
  probes: { kl: number; js: number; agreement: number; n: number }; // the same two models on all probes, for scale
  history: number[]; // best KL so far, at 11 evenly spaced ascent steps
}

const allEnvs = (m: StoredMember) => m.plan.allEnvNames.map((_, e) => e);

function boxOf(...rows: Float32Array[]): (D: number) => [number, number][] {
  return (D) => Array.from({ length: D }, (_, j) => {
    let lo = Infinity, hi = -Infinity;
    for (const x of rows) for (let i = j; i < x.length; i += D) [lo, hi] = [Math.min(lo, x[i]!), Math.max(hi, x[i]!)];
    return [lo, hi] as [number, number];
  });
}

export async function disagreeRuns(store: Store, runA: string, runB: string, o: DisagreementOptions & { seedA?: number; seedB?: number } = {}): Promise<DisagreeReport> {
  const a = await loadMember(store, runA, o.seedA ?? 0);
  const b = await loadMember(store, runB, o.seedB ?? o.seedA ?? 0).catch((e) => { disposeMember(a); throw e; });
  try {
    const [A, B] = [archOf(a.plan), archOf(b.plan)];
    if (A.input !== B.input || A.classes !== B.classes)
      throw new EcotoneError("E_ARGS", `disagree: the runs' models must share inputs and classes, got ${A.input}→${A.classes} and ${B.input}→${B.classes}`);
    for (const m of [a, b]) if (m.diverged) throw new EcotoneError("E_DIVERGED", `run ${m.runId}: seed ${m.seed} diverged; pick another seed`);
    const ra = probeRows(a.plan, allEnvs(a)), rb = probeRows(b.plan, allEnvs(b));
    const box = boxOf(ra.x, rb.x)(A.input);
    const ma = { f: memberModel(A), params: a.params }, mb = { f: memberModel(B), params: b.params };
    const r = maxDisagreement(ma, mb, box, withDefaults(disagreeDefaults, o));
    const at = np.array([r.x]); // [1, D]
    const pA = Array.from(nn.softmax(ma.f(tree.ref(a.params), at.ref), -1).dataSync() as Float32Array);
    const pB = Array.from(nn.softmax(mb.f(tree.ref(b.params), at), -1).dataSync() as Float32Array);
    const probeX = np.array(new Float32Array([...ra.x, ...rb.x]), { shape: [ra.n + rb.n, A.input] });
    const d = outputDistance(ma, mb, probeX);
    probeX.dispose();
    const content = typeof a.spec.world.content === "number" ? a.spec.world.content : A.input; // the teacher world puts the cue after the content
    const pick = (h: number[]) => Array.from({ length: 11 }, (_, i) => h[Math.round((i * (h.length - 1)) / 10)]!);
    return {
      a: { runId: a.runId, seed: a.seed }, b: { runId: b.runId, seed: b.seed }, dim: A.input, box,
      kl: r.kl, randomMaxKl: r.randomMaxKl, gain: r.randomMaxKl > 0 ? r.kl / r.randomMaxKl : Infinity,
      x: { content: r.x.slice(0, content), cue: r.x.slice(content) },
      answers: { a: pA.indexOf(Math.max(...pA)), b: pB.indexOf(Math.max(...pB)), pA, pB },
      probes: { kl: d.kl12, js: d.js, agreement: d.agreement, n: d.n },
      history: pick(r.history),
    };
  } finally {
    disposeMember(a);
    disposeMember(b);
  }
}
