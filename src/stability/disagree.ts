// Disagreement search between two stored models (SPEC claim 5): the input, inside the box the
// probes span, on which member `seedA` of run A and member `seedB` of run B disagree most
// (KL(p_A ‖ p_B), by projected gradient ascent), against the best of many random inputs; with
// `certify`, also a certified upper bound on the disagreement over the region (dynamics/certify*),
// so that the search's answer comes with how far from the truth it can be.
import { nn, numpy as np, tree } from "@jax-js/jax";
import { type Box, type CertifiedDisagreement, type DiffMeasure, DIFF_MEASURES, type DisagreementOptions, type Net, boundCost, certifyDefaults, certifyDisagreement, defaultNodes, certifyModel, denseLayer, disagreementAt, linfBox, maxDisagreement } from "../dynamics/index.ts";
import { outputDistance } from "../dynamics/distance.ts";
import type { Arch } from "../models/mlp.ts";
import type { Store } from "../store/index.ts";
import { loadModels } from "../train/baselines.ts";
import type { RunPlan } from "../train/plan.ts";
import { EcotoneError, nearest } from "../util/errors.ts";
import { archOf, type MemberParams, memberModel, memberOf, probeRows } from "./members.ts";
import { withDefaults } from "./_options.ts";
import { disposeMember, loadMember, type StoredMember } from "./inspect.ts";
import { trainWithSnapshots } from "./snapshots.ts";

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
  certified?: CertifiedReport; // with `certify`: the search ran on the certified region
}

const allEnvs = (m: StoredMember) => m.plan.allEnvNames.map((_, e) => e);

function boxOf(...rows: Float32Array[]): (D: number) => [number, number][] {
  return (D) => Array.from({ length: D }, (_, j) => {
    let lo = Infinity, hi = -Infinity;
    for (const x of rows) for (let i = j; i < x.length; i += D) [lo, hi] = [Math.min(lo, x[i]!), Math.max(hi, x[i]!)];
    return [lo, hi] as [number, number];
  });
}

export interface DisagreeOptions extends DisagreementOptions {
  seedA?: number;
  seedB?: number;
  stepA?: number; // compare the member at this checkpoint of run A (retrained from its spec), not the stored final one
  stepB?: number;
  certify?: CertifyRequest;
}

export async function disagreeRuns(store: Store, runA: string, runB: string, o: DisagreeOptions = {}): Promise<DisagreeReport> {
  if (o.certify) checkCertifyRequest(o.certify);
  const a = await loadSide(store, runA, o.seedA ?? 0, o.stepA, !!o.certify);
  const b = await loadSide(store, runB, o.seedB ?? o.seedA ?? 0, o.stepB, !!o.certify).catch((e) => { disposeMember(a); throw e; });
  try {
    const [A, B] = [archOf(a.plan), archOf(b.plan)];
    if (A.input !== B.input || A.classes !== B.classes)
      throw new EcotoneError("E_ARGS", `disagree: the runs' models must share inputs and classes, got ${A.input}→${A.classes} and ${B.input}→${B.classes}`);
    for (const m of [a, b]) if (m.diverged) throw new EcotoneError("E_DIVERGED", `run ${m.runId}: seed ${m.seed} diverged; pick another seed`);
    const ra = probeRows(a.plan, allEnvs(a)), rb = probeRows(b.plan, allEnvs(b));
    const probeBox = boxOf(ra.x, rb.x)(A.input);
    const region = o.certify ? regionOf(o.certify, probeBox, ra, A.input, rb) : undefined;
    const box = region?.box ?? probeBox;
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
      certified: region && certifyPair(memberNet(A, a.params), memberNet(B, b.params), region, o.certify!, r.x),
    };
  } finally {
    disposeMember(a);
    disposeMember(b);
  }
}

// ---- certified bounds ----------------------------------------------------------------------

/** Which inputs the certificate covers: `box` the probes' box (the search's), `world` mean ± 3 sd of the probes per dimension (widened to their box), `linf:EPS` the L∞ ball around probe `probe` of run A. */
export interface CertifyRequest {
  region?: string; // "box" (default) | "world" | "linf:EPS"
  probe?: number; // the centre of linf:EPS: a row of run A's probes (all environments in order)
  measure?: DiffMeasure; // what is bounded; default kl, as the search
  nodes?: number; // branch-and-bound budget in sub-boxes
  seconds?: number; // and/or in seconds (then the result depends on the machine's speed)
}

export interface CertifiedReport {
  region: { kind: "box" | "world" | "linf"; eps?: number; probe?: number; box: Box };
  measure: DiffMeasure;
  searchValue: number; // the measure at the search's input, in Float64
  found: number; // the largest value at any input evaluated: the search's, or a centre or corner of branch-and-bound
  foundBy: "search" | "branch-and-bound";
  bound: number; // certified: no input in the region disagrees more (on the Float64 networks)
  gap: number; // bound − found
  root: number; // the bound before any split
  ibpRoot: number; // the root bound by IBP alone (each network's interval logit gaps), for scale
  nodes: number;
  open: number;
  exhausted: boolean;
  seconds: number;
  history: CertifiedDisagreement["history"];
  method: CertifiedDisagreement["method"];
  logits: { a: { lo: number[]; hi: number[] }; b: { lo: number[]; hi: number[] } }; // CROWN bounds of each model alone over the region
}

const REGIONS = ["box", "world", "linf"];

function checkCertifyRequest(c: CertifyRequest): void {
  const kind = (c.region ?? "box").split(":")[0]!;
  if (!REGIONS.includes(kind)) {
    const near = nearest(kind, REGIONS);
    throw new EcotoneError("E_ARGS", `--region: expected box, world or linf:EPS, got ${JSON.stringify(c.region)}${near ? ` (did you mean ${near}?)` : ""}`);
  }
  if (kind === "linf") {
    const eps = Number((c.region ?? "").slice(5));
    if (!/^linf:[^:]+$/.test(c.region ?? "") || !(eps >= 0 && Number.isFinite(eps))) throw new EcotoneError("E_ARGS", `--region linf:EPS needs a finite radius EPS ≥ 0, got ${JSON.stringify(c.region)}`);
  } else if (c.region?.includes(":")) throw new EcotoneError("E_ARGS", `--region ${kind} takes no parameter, got ${JSON.stringify(c.region)}`);
  if (c.measure !== undefined && !DIFF_MEASURES.includes(c.measure)) {
    const near = nearest(c.measure, DIFF_MEASURES);
    throw new EcotoneError("E_ARGS", `--measure: expected one of ${DIFF_MEASURES.join(", ")}, got ${JSON.stringify(c.measure)}${near ? ` (did you mean ${near}?)` : ""}`);
  }
  if (c.nodes !== undefined && !(Number.isInteger(c.nodes) && c.nodes >= 1 && c.nodes <= 1e7)) throw new EcotoneError("E_ARGS", `--budget: the node budget must be an integer in [1, 1e7], got ${c.nodes}`);
  if (c.seconds !== undefined && !(c.seconds > 0 && c.seconds <= 86400)) throw new EcotoneError("E_ARGS", `--budget: the time budget must be in (0, 86400] seconds, got ${c.seconds}`);
  if (c.probe !== undefined && !(Number.isInteger(c.probe) && c.probe >= 0)) throw new EcotoneError("E_ARGS", `--probe must be an integer ≥ 0, got ${c.probe}`);
}

/** The member of a stored run: its final state, or its state at checkpoint `step` (retrained from the run's spec, deterministically). */
async function loadSide(store: Store, runId: string, seed: number, step: number | undefined, certify: boolean): Promise<StoredMember> {
  const row = await store.getRun(runId);
  const kind = row ? (JSON.parse(row.specJson) as { model?: { kind?: string } }).model?.kind ?? "mlp" : "mlp";
  if (certify && kind !== "mlp") throw new EcotoneError("E_ARGS", `disagree --certify: certified bounds cover MLP members (ReLU and linear layers); run ${row!.id} has model kind ${JSON.stringify(kind)}`);
  const m = await loadMember(store, runId, seed);
  if (step === undefined || step === m.step) return m;
  disposeMember(m);
  const snaps = trainWithSnapshots(m.spec, seed);
  const at = snaps.find((s) => s.step === step);
  tree.dispose(snaps.filter((s) => s !== at).map((s) => s.params));
  if (!at) throw new EcotoneError("E_ARGS", `run ${m.runId} has no checkpoint at step ${step}; its checkpoints: ${snaps.map((s) => s.step).join(", ")}`);
  return { ...m, step, params: at.params };
}

function regionOf(c: CertifyRequest, probeBox: Box, ra: { x: Float32Array; n: number }, D: number, rb: { x: Float32Array; n: number }): CertifiedReport["region"] {
  const kind = (c.region ?? "box").split(":")[0] as "box" | "world" | "linf";
  if (kind === "box") return { kind, box: probeBox };
  if (kind === "linf") {
    const eps = Number(c.region!.slice(5)), probe = c.probe ?? 0;
    if (probe >= ra.n) throw new EcotoneError("E_ARGS", `--probe: run A has ${ra.n} probe rows, got ${probe}`);
    return { kind, eps, probe, box: linfBox(ra.x.subarray(probe * D, (probe + 1) * D), eps) };
  }
  const n = ra.n + rb.n;
  return {
    kind, box: probeBox.map(([lo, hi], j) => {
      let s = 0, ss = 0;
      for (const r of [ra, rb]) for (let i = 0; i < r.n; i++) { const v = r.x[i * D + j]!; s += v; ss += v * v; }
      const mean = s / n, sd = Math.sqrt(Math.max(0, ss / n - mean * mean));
      return [Math.min(lo, mean - 3 * sd), Math.max(hi, mean + 3 * sd)] as [number, number];
    }),
  };
}

/** A member as a Float64 network; per-environment heads averaged, as `memberModel` reads an input of no environment. Borrows. */
export function memberNet(a: Arch, p: MemberParams): Net {
  const read = (x: np.Array) => Float64Array.from(x.ref.dataSync() as Float32Array);
  let fan = a.input;
  const net: Net = p.layers.map((l, i) => {
    const layer = denseLayer(read(l.w), read(l.b), fan, a.relu[i]!);
    fan = layer.nOut;
    return layer;
  });
  const w = read(p.head.w), b = read(p.head.b), H = a.heads, C = a.classes; // w [fan, H·C], b [H·C]
  const wc = new Float64Array(fan * C), bc = new Float64Array(C);
  for (let h = 0; h < H; h++) for (let c = 0; c < C; c++) {
    bc[c] = bc[c]! + b[h * C + c]! / H;
    for (let i = 0; i < fan; i++) wc[i * C + c] = wc[i * C + c]! + w[i * H * C + h * C + c]! / H;
  }
  net.push(denseLayer(wc, bc, fan, false));
  for (const l of net) if (![...l.w, ...l.b].every(Number.isFinite)) throw new EcotoneError("E_DIVERGED", "disagree --certify: a member has non-finite weights");
  return net;
}

/** Beyond this many multiply-adds per bound (widths of ~1000) one sub-box takes minutes: refused. */
export const MAX_BOUND_COST = 3e8;

function checkCost(...nets: Net[]): void {
  const cost = Math.max(...nets.map(boundCost));
  if (cost > MAX_BOUND_COST) throw new EcotoneError("E_ARGS", `disagree --certify: the networks are too large to bound (${cost.toExponential(1)} multiply-adds per sub-box, limit ${MAX_BOUND_COST.toExponential(0)}: hidden widths up to about 500)`);
}

function certifyPair(na: Net, nb: Net, region: CertifiedReport["region"], c: CertifyRequest, searchX: number[]): CertifiedReport {
  checkCost(na, nb);
  const measure = c.measure ?? certifyDefaults.measure;
  const searchValue = disagreementAt(na, nb, searchX)[measure];
  const r = certifyDisagreement(na, nb, region.box, { measure, nodes: c.nodes, seconds: c.seconds, start: { x: searchX } });
  const ibpRoot = certifyDisagreement(na, nb, region.box, { measure, nodes: 1, method: "ibp" }).root;
  const logits = (n: Net) => { const m = certifyModel(n, region.box); return { lo: Array.from(m.logits.lo), hi: Array.from(m.logits.hi) }; };
  return {
    region, measure, searchValue, found: r.found, foundBy: r.found > searchValue ? "branch-and-bound" : "search",
    bound: r.bound, gap: r.gap, root: r.root, ibpRoot, nodes: r.nodes, open: r.open, exhausted: r.exhausted,
    seconds: r.seconds, history: r.history, method: r.method, logits: { a: logits(na), b: logits(nb) },
  };
}

/** Every member of a stored run as a Float64 network (null for a diverged one), from one load of the run: for the stability report's certified column. */
export async function runNets(store: Store, runId: string): Promise<{ plan: RunPlan; nets: (Net | null)[] }> {
  const { trainer } = await loadModels(store, runId);
  try {
    const plan = trainer.plan, arch = archOf(plan);
    const nets = trainer.seeds.map((s) => {
      const p = memberOf(trainer, s);
      try {
        return memberNet(arch, p);
      } catch {
        return null;
      } finally {
        tree.dispose(p);
      }
    });
    return { plan, nets };
  } finally {
    trainer.dispose();
  }
}

export const certifyStudyDefaults = { measure: "kl" as DiffMeasure, share: 20 }; // per pair, by default 1/share of `disagree`'s default budget (100 sub-boxes for small networks)

/** The certified column of a stability study: the largest disagreement over matched member pairs of the variants. */
export interface CertifiedSpread {
  measure: DiffMeasure;
  found: number; // the largest value found on any pair (branch-and-bound's centres and corners)
  bound: number; // the largest certified bound over the pairs: no pair disagrees more anywhere in the box
  gap: number; // bound − found
  pairs: number; // matched pairs certified (members that diverged are left out)
  nodes: number; // sub-boxes per pair, at most (the largest budget over pairs)
}

/**
 * Certify every matched pair (member g of variant a against member g of variant b, a < b) over
 * the box of the base plan's probes, each with its own branch-and-bound budget.
 */
export async function certifySpread(store: Store, runIds: string[], o: { nodes?: number; measure?: DiffMeasure } = {}): Promise<CertifiedSpread> {
  const { measure, share } = withDefaults(certifyStudyDefaults, o);
  checkCertifyRequest({ nodes: o.nodes, measure });
  const runs = [];
  for (const id of runIds) runs.push(await runNets(store, id));
  checkCost(...runs.flatMap((r) => r.nets.filter((n): n is Net => n !== null)));
  const plan = runs[0]!.plan, D = archOf(plan).input;
  const rows = probeRows(plan, plan.allEnvNames.map((_, e) => e));
  const box = boxOf(rows.x)(D);
  let found = 0, bound = 0, pairs = 0, nodes = 0;
  for (let a = 0; a < runs.length; a++) for (let b = a + 1; b < runs.length; b++) {
    const S = Math.min(runs[a]!.nets.length, runs[b]!.nets.length);
    for (let g = 0; g < S; g++) {
      const na = runs[a]!.nets[g], nb = runs[b]!.nets[g];
      if (!na || !nb) continue;
      const budget = o.nodes ?? Math.max(5, Math.round(defaultNodes(na, nb) / share));
      const r = certifyDisagreement(na, nb, box, { measure, nodes: budget });
      [found, bound, pairs, nodes] = [Math.max(found, r.found), Math.max(bound, r.bound), pairs + 1, Math.max(nodes, budget)];
    }
  }
  return pairs ? { measure, found, bound, gap: bound - found, pairs, nodes } : { measure, found: NaN, bound: NaN, gap: NaN, pairs, nodes };
}
