// Disagreement search over token inputs: a sequence model's input is discrete, so gradient ascent
// on it does not apply. Instead: the best of `samples` random prompts, then greedy coordinate
// search (each round tries every token at every searched position, one batch per position, and
// keeps the best), within a budget of rounds. The score of a prompt is the mean over the
// completion's tokens of KL(p_A ‖ p_B) between the two members' next-token distributions, along
// A's greedy completion of it (so both models are read on the same prefix).
import { numpy as np, tree } from "@jax-js/jax";
import { worlds } from "../envs/index.ts";
import { parseSpec } from "../experiment/load.ts";
import type { Store } from "../store/index.ts";
import type { RunPlan } from "../train/plan.ts";
import { EcotoneError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { type AnyMember, memberFn } from "./members.ts";
import { withDefaults } from "./_options.ts";
import { disposeMember, loadAnyMember, type StoredMember } from "./inspect.ts";

export const tokenDisagreeDefaults = {
  samples: 512, // random prompts
  rounds: 4, // coordinate-search sweeps over the searched positions (stops early at a fixed point)
  batch: 512, // prompts per forward pass
  seed: 0, // of the random prompts
};
export type TokenDisagreeOptions = Partial<typeof tokenDisagreeDefaults> & { seedA?: number; seedB?: number };

export interface TokenDisagreeReport {
  a: { runId: string; seed: number };
  b: { runId: string; seed: number };
  prompt: number[]; // the prompt found (P token ids)
  positions: number[]; // prompt positions searched: those where the probes' prompts vary
  completion: { a: number[]; b: number[] }; // each member's greedy completion of it
  kl: number; // mean over the completion of KL(p_A ‖ p_B), nats, along A's greedy completion
  klPerToken: number[]; // [L]
  randomMaxKl: number; // the best of the random prompts
  gain: number; // kl / randomMaxKl
  probes: { kl: number; n: number; exactAgreement: number }; // on all probe prompts: mean KL, and how often the greedy completions agree exactly
  evaluations: number; // prompts scored
  history: number[]; // best KL after the random prompts and after each round
}

export type Side = { m: StoredMember<AnyMember>; plan: RunPlan };

/** Scores prompts [M, P] (token ids): mean KL per prompt along A's greedy completion, and both greedy completions. */
export function promptScorer(a: Side, b: Side, batch: number) {
  const seq = a.plan.world.sequence!, P = seq.prompt, L = seq.completion, V = a.plan.world.classes, T = P + L;
  const fa = memberFn(a.plan), fb = memberFn(b.plan);
  const logits = (s: Side, f: typeof fa, x: Float32Array, M: number) =>
    f(tree.ref(s.m.params), npArray(x, [M, T])).dataSync() as Float32Array; // [M, L, V]
  const logSoftmax = (z: Float32Array, o: number) => {
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, z[o + v]!);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(z[o + v]! - mx);
    const lse = mx + Math.log(s);
    return Float64Array.from({ length: V }, (_, v) => z[o + v]! - lse);
  };
  const argmax = (z: Float32Array, o: number) => { let k = 0; for (let v = 1; v < V; v++) if (z[o + v]! > z[o + k]!) k = v; return k; };
  /** Greedy completion of x's prompts by side s (written into x): L passes. */
  const complete = (s: Side, f: typeof fa, x: Float32Array, M: number) => {
    for (let l = 0; l < L; l++) {
      const z = logits(s, f, x, M);
      for (let i = 0; i < M; i++) x[i * T + P + l] = argmax(z, (i * L + l) * V);
    }
  };
  const one = (prompts: Int32Array, M: number) => {
    const x = new Float32Array(M * T);
    for (let i = 0; i < M; i++) for (let j = 0; j < P; j++) x[i * T + j] = prompts[i * P + j]!;
    const xb = x.slice();
    complete(a, fa, x, M);
    complete(b, fb, xb, M);
    const za = logits(a, fa, x, M), zb = logits(b, fb, x, M);
    const kl = new Float64Array(M), per = new Float64Array(M * L);
    for (let i = 0; i < M; i++)
      for (let l = 0; l < L; l++) {
        const o = (i * L + l) * V, pa = logSoftmax(za, o), pb = logSoftmax(zb, o);
        let k = 0;
        for (let v = 0; v < V; v++) k += Math.exp(pa[v]!) * (pa[v]! - pb[v]!);
        per[i * L + l] = k;
        kl[i] = kl[i]! + k / L;
      }
    const comp = (z: Float32Array) => Int32Array.from({ length: M * L }, (_, j) => z[Math.floor(j / L) * T + P + (j % L)]!);
    return { kl, per, ca: comp(x), cb: comp(xb) };
  };
  return (prompts: Int32Array) => {
    const M = prompts.length / P, out = { kl: new Float64Array(M), per: new Float64Array(M * L), ca: new Int32Array(M * L), cb: new Int32Array(M * L) };
    for (let s = 0; s < M; s += batch) {
      const m = Math.min(batch, M - s), r = one(prompts.subarray(s * P, (s + m) * P), m);
      out.kl.set(r.kl, s); out.per.set(r.per, s * L); out.ca.set(r.ca, s * L); out.cb.set(r.cb, s * L);
    }
    return out;
  };
}

const npArray = (x: Float32Array, shape: number[]) => np.array(x, { shape });

/** Whether stored run `runId` is on a sequence world (its disagreement is searched over token prompts); false when unknown. */
export async function isSequenceRun(store: Store, runId: string): Promise<boolean> {
  const row = await store.getRun(runId);
  if (!row) return false;
  try {
    const spec = parseSpec(JSON.parse(row.specJson), `run ${row.id}`);
    return !!worlds.get(spec.world.kind).create(spec.world, spec.envs.map((e) => e.name), spec.novel).sequence;
  } catch {
    return false; // a plugin's world not loaded here: the caller's own loading reports it
  }
}

/** The most-disagreeing prompt of member seedA of run A and seedB of run B, both sequence models on the same world layout. */
export async function disagreeTokenRuns(store: Store, runA: string, runB: string, o: TokenDisagreeOptions = {}): Promise<TokenDisagreeReport> {
  const c = withDefaults(tokenDisagreeDefaults, o);
  for (const [k, v] of [["samples", c.samples], ["rounds", c.rounds], ["batch", c.batch]] as const)
    if (!(Number.isInteger(v) && v >= (k === "rounds" ? 0 : 1) && v <= 1e6)) throw new EcotoneError("E_ARGS", `disagree: --${k} must be an integer in [${k === "rounds" ? 0 : 1}, 1e6], got ${v}`);
  const ma = await loadAnyMember(store, runA, o.seedA ?? 0);
  const mb = await loadAnyMember(store, runB, o.seedB ?? o.seedA ?? 0).catch((e) => { disposeMember(ma); throw e; });
  try {
    const a = { m: ma, plan: ma.plan }, b = { m: mb, plan: mb.plan };
    const sa = a.plan.world.sequence, sb = b.plan.world.sequence;
    if (!sa || !sb) throw new EcotoneError("E_ARGS", "disagree over token inputs: both runs must be on a sequence world");
    if (sa.prompt !== sb.prompt || sa.completion !== sb.completion || a.plan.world.classes !== b.plan.world.classes)
      throw new EcotoneError("E_ARGS", `disagree: the runs' models must share prompt length, completion length and vocabulary, got ${sa.prompt}+${sa.completion}/${a.plan.world.classes} and ${sb.prompt}+${sb.completion}/${b.plan.world.classes}`);
    for (const m of [ma, mb]) if (m.diverged) throw new EcotoneError("E_DIVERGED", `run ${m.runId}: seed ${m.seed} diverged; pick another seed`);
    const P = sa.prompt, L = sa.completion, V = a.plan.world.classes, T = P + L;
    // the probes' prompts, both runs, all environments: the searched positions are those they vary on
    const probePrompts = [a, b].flatMap((s) => {
      const pr = s.plan.probes, n = pr.x.length / T;
      return Array.from({ length: n }, (_, i) => Array.from(pr.x.subarray(i * T, i * T + P)));
    });
    const positions = Array.from({ length: P }, (_, j) => j).filter((j) => probePrompts.some((p) => p[j] !== probePrompts[0]![j]));
    const base = probePrompts[0]!;
    const score = promptScorer(a, b, c.batch);
    let evaluations = 0;
    const run = (prompts: Int32Array) => { evaluations += prompts.length / P; return score(prompts); };
    // random prompts: the constant positions as in the probes, the others uniform over the vocabulary
    const rng = new Rng(c.seed, 0xd15a, 0);
    const rand = new Int32Array(c.samples * P);
    for (let i = 0; i < c.samples; i++) for (let j = 0; j < P; j++) rand[i * P + j] = positions.includes(j) ? rng.int(V) : base[j]!;
    const r0 = run(rand);
    let bi = 0;
    for (let i = 1; i < c.samples; i++) if (r0.kl[i]! > r0.kl[bi]!) bi = i;
    const randomMaxKl = r0.kl[bi]!;
    let best = rand.slice(bi * P, (bi + 1) * P), bestKl = randomMaxKl;
    const history = [bestKl];
    for (let round = 0; round < c.rounds; round++) {
      const before = bestKl;
      for (const j of positions) {
        const cand = new Int32Array(V * P);
        for (let v = 0; v < V; v++) { cand.set(best, v * P); cand[v * P + j] = v; }
        const r = run(cand);
        for (let v = 0; v < V; v++) if (r.kl[v]! > bestKl) [bestKl, best] = [r.kl[v]!, cand.slice(v * P, (v + 1) * P)];
      }
      history.push(bestKl);
      if (!(bestKl > before)) break; // a fixed point: no single token change helps
    }
    const at = score(best);
    const pr = score(Int32Array.from(probePrompts.flat()));
    const n = probePrompts.length;
    let exact = 0;
    for (let i = 0; i < n; i++) exact += +Array.from({ length: L }, (_, l) => pr.ca[i * L + l] === pr.cb[i * L + l]).every(Boolean);
    return {
      a: { runId: ma.runId, seed: ma.seed }, b: { runId: mb.runId, seed: mb.seed },
      prompt: Array.from(best), positions, completion: { a: Array.from(at.ca), b: Array.from(at.cb) },
      kl: at.kl[0]!, klPerToken: Array.from(at.per), randomMaxKl, gain: randomMaxKl > 0 ? at.kl[0]! / randomMaxKl : Infinity,
      probes: { kl: pr.kl.reduce((s, v) => s + v, 0) / n, n, exactAgreement: exact / n },
      evaluations, history,
    };
  } finally {
    disposeMember(ma);
    disposeMember(mb);
  }
}
