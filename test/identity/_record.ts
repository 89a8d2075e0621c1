// Records (or checks) the stored metrics of the example runs as one hash per metric key, so a
// refactor can prove it changed no number. Imports only the public API: the same harness runs
// before and after a change of internals.
//   node --import tsx test/identity/_record.ts [--full] > fixture.json
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSpec, parseSpec } from "../../src/experiment/load.ts";
import { openStore } from "../../src/store/index.ts";
import { runExperiment } from "../../src/train/run.ts";

export interface Case { name: string; file?: string; over: Record<string, any> }

/** Reduced versions of the README's examples (every code path, a fraction of the time), and one
 * spec that exercises every objective, knob and optimiser the examples do not. */
export const CASES: Case[] = [
  { name: "quickstart", file: "examples/quickstart.yaml", over: { seeds: 4, train: { steps: 300 } } },
  { name: "generalist", file: "examples/generalist.yaml", over: { seeds: 4, train: { steps: 200 } } },
  { name: "conditional", file: "examples/conditional.yaml", over: { seeds: 4, train: { steps: 200 } } },
  { name: "churn", file: "examples/churn.yaml", over: { seeds: 4, train: { steps: 200 } } },
  { name: "transformer", file: "examples/transformer.yaml", over: { seeds: 2, train: { steps: 100, probes: 32 } } }, // the sequence path: token world, transformer, reward on completions
  {
    name: "coverage", over: {
      name: "coverage", seeds: 3, baselines: true,
      world: { content: 12, cue: 4, classes: 5, distinguishability: 0.6, similarity: 0.3, labelNoise: 0.05 },
      envs: [{ name: "A", objective: "sft" }, { name: "B", objective: { kind: "reward", baseline: "none" } }, { name: "C", objective: { kind: "preference", beta: 0.2 } }],
      novel: [{ kind: "fresh" }, { kind: "blend", of: ["A", "B"], weight: 0.3 }],
      schedule: { kind: "markov", switchProb: 0.05 },
      model: { hidden: [24, 16], bottleneck: 4, heads: "per-env", dropout: 0.1, l1: 0.01 },
      train: { optimizer: "momentum", lr: 0.01, weightDecay: 0.01, steps: 120, evalEvery: 30, batch: 16, probes: 32, dataset: 200, bootstrap: true },
    },
  },
];

export const FULL: Case[] = ["quickstart", "generalist", "conditional", "churn"].map((n) => ({ name: n, file: `examples/${n}.yaml`, over: {} }));

function merge(base: any, over: any): any {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = v && typeof v === "object" && !Array.isArray(v) && base?.[k] && typeof base[k] === "object" ? merge(base[k], v) : v;
  return out;
}

/** Per metric key: the number of points and a hash of (step, seed, value) in store order. */
export async function fingerprint(c: Case, threads?: number): Promise<Record<string, Record<string, string>>> {
  const spec = c.file ? parseSpec(merge(await loadSpec(c.file), c.over), c.name) : parseSpec(c.over, c.name);
  const store = await openStore(join(mkdtempSync(join(tmpdir(), "ecotone-identity-")), "runs.db"));
  const runs: Record<string, Record<string, string>> = {};
  try {
    const s = await runExperiment(spec, { store, threads });
    const ids: [string, string][] = [["main", s.runId]];
    if (s.baselines) {
      ids.push(["mixture", s.baselines.mixture]);
      for (const [e, id] of Object.entries(s.baselines.specialists)) ids.push([`specialist:${e}`, id]);
    }
    for (const [label, id] of ids) {
      const by = new Map<string, string[]>();
      for (const p of await store.metrics(id)) (by.get(p.key) ?? by.set(p.key, []).get(p.key)!).push(`${p.step},${p.seed},${p.value === null ? "null" : p.value.toString()}`);
      runs[label] = Object.fromEntries([...by].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, `${v.length}:${createHash("sha256").update(v.sort().join(";")).digest("hex").slice(0, 16)}`]));
    }
  } finally {
    await store.close();
  }
  return runs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cases = process.argv.includes("--full") ? FULL : CASES;
  const out: Record<string, unknown> = {};
  for (const c of cases) out[c.name] = await fingerprint(c);
  console.log(JSON.stringify(out, null, 1));
}
