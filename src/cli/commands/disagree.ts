// `ecotone disagree <runA> <runB>`: the input on which two stored models disagree most; with
// --certify, also a certified bound on how much they can disagree anywhere in a region.
import type { DiffMeasure } from "../../dynamics/index.ts";
import { type CertifyRequest, type DisagreeReport, disagreeRuns } from "../../stability/disagree.ts";
import { disagreeTokenRuns, isSequenceRun, type TokenDisagreeReport } from "../../stability/disagree-tokens.ts";
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";

export interface DisagreeOpts {
  store: string; seed?: number; seedB?: number; stepA?: number; stepB?: number; restarts?: number; steps?: number; samples?: number; json?: boolean;
  certify?: boolean; region?: string; probe?: number; budget?: string; measure?: string;
}

/** `--budget`: `30s` is seconds, `500` (or `500n`) sub-boxes; seconds make the result depend on the machine. */
export function parseBudget(b: string): Pick<CertifyRequest, "nodes" | "seconds"> {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|n|nodes)?\s*$/.exec(b);
  if (!m) throw new EcotoneError("E_ARGS", `--budget: expected seconds such as 30s or a number of sub-boxes such as 500, got ${JSON.stringify(b)}`);
  return m[2] === "s" ? { seconds: Number(m[1]) } : { nodes: Number(m[1]) };
}

export default async function (runA: string, runB: string, o: DisagreeOpts): Promise<void> {
  const certifyOnly = [["--region", o.region], ["--probe", o.probe], ["--budget", o.budget], ["--measure", o.measure]].filter(([, v]) => v !== undefined).map(([k]) => k);
  if (!o.certify && certifyOnly.length) throw new EcotoneError("E_ARGS", `disagree: ${certifyOnly.join(", ")} ${certifyOnly.length > 1 ? "apply" : "applies"} to the certified bound: add --certify`);
  const certify: CertifyRequest | undefined = o.certify
    ? { region: o.region, probe: o.probe, measure: o.measure as DiffMeasure | undefined, ...(o.budget === undefined ? {} : parseBudget(o.budget)) }
    : undefined;
  const store = await openStore(o.store);
  try {
    if (await isSequenceRun(store, runA)) {
      // token inputs: a search over prompts (--samples random ones, then --steps rounds of coordinate search)
      const bad = [["--certify", o.certify], ["--restarts", o.restarts], ["--step-a", o.stepA], ["--step-b", o.stepB]].filter(([, v]) => v !== undefined && v !== false).map(([k]) => k);
      if (bad.length) throw new EcotoneError("E_ARGS", `disagree: ${bad.join(", ")} ${bad.length > 1 ? "apply" : "applies"} to runs with vector inputs; run ${runA} reads token prompts (searched with --samples and --steps)`);
      const r = await disagreeTokenRuns(store, runA, runB, { seedA: o.seed, seedB: o.seedB, samples: o.samples, rounds: o.steps });
      console.log(o.json ? JSON.stringify(r) : renderTokens(r));
      return;
    }
    const r = await disagreeRuns(store, runA, runB, { seedA: o.seed, seedB: o.seedB, stepA: o.stepA, stepB: o.stepB, restarts: o.restarts, steps: o.steps, samples: o.samples, certify });
    console.log(o.json ? JSON.stringify(r) : render(r));
  } finally {
    await store.close();
  }
}

export function renderTokens(r: TokenDisagreeReport): string {
  const t = (xs: number[]) => xs.join(" ");
  return [
    `disagreement of ${r.a.runId} seed ${r.a.seed} (A) and ${r.b.runId} seed ${r.b.seed} (B) over token prompts (positions ${r.positions.join(", ")} searched)`,
    `  search:         mean KL(A ‖ B) per completion token = ${f(r.kl)} nats (random prompts, then coordinate search; ${r.evaluations} prompts scored)`,
    `  random prompts: ≤ ${f(r.randomMaxKl)} nats   → search/random = ${f(r.gain, 2)}×`,
    `  on the probes:  mean KL ${f(r.probes.kl)} nats; greedy completions agree exactly on ${f(r.probes.exactAgreement, 3)} of ${r.probes.n} prompts`,
    `  prompt ${t(r.prompt)}: A completes ${t(r.completion.a)}, B completes ${t(r.completion.b)}; KL per token ${r.klPerToken.map((k) => f(k, 3)).join(", ")}`,
  ].join("\n");
}

const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : "—");

export function render(r: DisagreeReport): string {
  const p = (xs: number[]) => `[${xs.map((x) => x.toFixed(2)).join(", ")}]`;
  const c = r.certified;
  const where = !c || c.region.kind === "box" ? "inputs in the box of their probes"
    : c.region.kind === "world" ? "inputs in the world's box (probes' mean ± 3 sd per dim)"
    : `inputs within L∞ ${c.region.eps} of probe ${c.region.probe}`;
  const lines = [
    `disagreement of ${r.a.runId} seed ${r.a.seed} (A) and ${r.b.runId} seed ${r.b.seed} (B), ${where} (${r.dim} dims)`,
    `  search:        KL(A ‖ B) = ${f(r.kl)} nats (projected gradient ascent)`,
    `  random inputs: KL(A ‖ B) ≤ ${f(r.randomMaxKl)} nats   → search/random = ${f(r.gain, 2)}×`,
    `  on the probes: mean KL ${f(r.probes.kl)} nats, JS ${f(r.probes.js)} bits, answers agree on ${f(r.probes.agreement, 3)} of ${r.probes.n}`,
    `  there A answers ${r.answers.a} with p = ${p(r.answers.pA)}; B answers ${r.answers.b} with p = ${p(r.answers.pB)}`,
    `  x: content ${p(r.x.content)}`,
    `     cue     ${p(r.x.cue)}`,
  ];
  if (c) {
    const unit = { kl: "nats KL(A ‖ B)", tv: "total variation", logit: "change of a log-odds" }[c.measure];
    lines.push(
      `  certified (${unit}, ${c.nodes} sub-boxes, ${f(c.seconds, 1)} s${c.exhausted ? ", every sub-box closed" : `, ${c.open} left open`}):`,
      `    found maximum ${f(c.found)} (by ${c.foundBy})   certified bound ${f(c.bound)}   gap ${f(c.gap)}`,
      `    bound on the whole region before splitting ${f(c.root)} (IBP alone: ${f(c.ibpRoot)})`,
    );
  }
  return lines.join("\n");
}
