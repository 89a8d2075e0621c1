// `ecotone show <id>`: one run in full: spec (YAML), status and owner, summary, tags, notes, divergences.
import YAML from "yaml";
import { describeKey } from "../../metrics/live/index.ts";
import { describeOwner, openStore, type Divergence, type RunNote, type RunRow, type Store } from "../../store/index.ts";
import type { RunSummary } from "../../train/summary.ts";
import { resolveRun } from "./_runs.ts";
import { readingStore } from "./_read.ts";

interface Opts { store: string; json?: boolean }

export interface ShownRun {
  run: Omit<RunRow, "specJson" | "summary" | "metrics">;
  spec: unknown;
  summary: Partial<RunSummary> | null;
  tags: string[];
  notes: RunNote[];
  divergences: Divergence[];
}

export async function showRun(store: Store, id: string): Promise<ShownRun> {
  const { specJson, summary, metrics: _metrics, ...run } = await resolveRun(store, id);
  return {
    run,
    spec: JSON.parse(specJson) as unknown,
    summary: summary as Partial<RunSummary> | null,
    tags: (await store.tags([run.id])).get(run.id) ?? [],
    notes: await store.notes(run.id),
    divergences: await store.divergences(run.id),
  };
}

export default async function (id: string, o: Opts): Promise<void> {
  const store = await openStore(o.store, { readonly: true });
  try {
    const shown = await readingStore(store, () => showRun(store, id));
    console.log(o.json ? JSON.stringify(shown) : render(shown));
  } finally {
    await store.close();
  }
}

const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "—");

export function render(s: ShownRun): string {
  const r = s.run;
  const lines = [`run ${r.id} (${r.name}): ${r.status}`, `created ${r.createdAt}` + (r.finishedAt ? `, finished ${r.finishedAt}` : "")];
  if (r.owner) lines.push(`owner: ${describeOwner(r.owner)}, heartbeat ${r.heartbeatAt ?? "never"}`);
  if (r.sweepId) lines.push(`sweep: ${r.sweepId}`);
  lines.push(`seeds ${r.seeds}, steps ${r.steps}, volatility ${r.volatility.toFixed(4)} switches/step, envs ${r.envs.join(", ")}`);
  lines.push(`tags: ${s.tags.length ? s.tags.join(", ") : "—"}`);
  const sum = s.summary;
  if (sum?.performance && Object.keys(sum.performance).length) {
    lines.push("", "performance (mean ± sd over seeds)");
    for (const [env, p] of Object.entries(sum.performance)) lines.push(`  ${env.padEnd(18)} ${f(p.mean)} ± ${f(p.sd)}  n=${p.n}`);
  }
  const c = sum?.classification;
  if (c) {
    lines.push("", `class: ${c.label}  (mean [95% bootstrap CI] over ${c.n} seeds)`);
    for (const [k, v] of Object.entries(c.scores)) lines.push(`  ${k.padEnd(22)} ${f(v)} [${f(c.ci[k as keyof typeof c.ci].lo)}, ${f(c.ci[k as keyof typeof c.ci].hi)}]`);
  }
  const head = Object.entries(sum?.headline ?? {}).filter(([, v]) => v.n > 0);
  if (head.length) {
    lines.push("", "headline (last checkpoint)");
    for (const [k, v] of head) lines.push(`  ${k.padEnd(28)} ${f(v.mean)} ± ${f(v.sd)}   ${describeKey(k).title}`);
  }
  if (s.divergences.length) {
    lines.push("", `diverged: ${s.divergences.length} seed(s)`);
    for (const d of s.divergences) lines.push(`  seed ${d.seed}: ${d.what} at step ${d.step}, env ${d.env}`);
  }
  if (s.notes.length) {
    lines.push("", "notes");
    for (const n of s.notes) lines.push(`  ${n.at}  ${n.text}`);
  }
  lines.push("", "spec", YAML.stringify(s.spec).trimEnd().replace(/^/gm, "  "));
  return lines.join("\n");
}
