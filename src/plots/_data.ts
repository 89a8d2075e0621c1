// Internal: turning run-store rows into the small tables the specs draw. Aggregation over seeds
// happens here, in TypeScript, not in vega: so null/NaN seeds are skipped explicitly, n is known,
// and the dashboard and the CLI draw exactly the same numbers.

import type { MetricPoint } from "../store/types.ts";
import { naturalCompare } from "../util/order.ts";
import { mean, sd } from "../util/stats.ts";

/** Summary over seeds of one metric key at one checkpoint step. */
export interface SeedStat {
  key: string;
  step: number;
  mean: number;
  sd: number; // sample sd over seeds (n - 1 denominator); 0 when n = 1
  min: number;
  max: number;
  n: number; // seeds with a finite value; 1 for a run-level aggregate (seed -1) used alone
}

/** Which metric keys to draw: exact keys (in that order) or every key with a prefix. */
export interface KeySelection {
  keys?: readonly string[]; // exact metric keys, drawn and listed in this order
  prefix?: string; // or every key starting with this, in natural order ("env2" before "env10")
}

/** Resolve a selection against the keys present in `points`. */
export function selectKeys(points: readonly MetricPoint[], sel: KeySelection, who: string): string[] {
  if (sel.keys !== undefined && sel.prefix !== undefined) {
    throw new TypeError(`${who}: give keys or prefix, not both`);
  }
  if (sel.keys !== undefined) return [...sel.keys];
  if (sel.prefix === undefined) throw new TypeError(`${who}: expected keys or prefix, got neither`);
  const prefix = sel.prefix;
  const found = new Set<string>();
  for (const p of points) if (p.key.startsWith(prefix) && p.key.length > prefix.length) found.add(p.key);
  return [...found].sort(naturalCompare);
}

/**
 * Short legend labels: strip the prefix when given, else the longest prefix shared by all keys
 * that ends at a `/` or `:` ("behav/churn", "behav/conditionality" → "churn", "conditionality").
 */
export function cleanLabels(keys: readonly string[], prefix?: string): string[] {
  if (prefix !== undefined) return keys.map((k) => k.slice(prefix.length));
  const first = keys[0];
  if (first === undefined) return [];
  let cut = 0;
  for (let i = 0; i < first.length; i++) {
    const c = first[i]!;
    if (!keys.every((k) => k[i] === c)) break;
    if ((c === "/" || c === ":") && keys.every((k) => k.length > i + 1)) cut = i + 1;
  }
  const labels = keys.map((k) => k.slice(cut));
  // Two keys must never share a label (the legend would merge them): fall back to the full keys.
  return new Set(labels).size === labels.length ? labels : [...keys];
}

/**
 * Mean, sd, min and max over seeds per (key, step), ordered by key (in `keys` order) then step.
 * Seeds whose value is null or not finite are skipped; a step where every seed is missing has
 * no row (the line joins its neighbours). Per-seed rows (seed ≥ 0) win over the run-level
 * aggregate (seed -1), which is used only where a key has no per-seed value at that step.
 */
export function seedStats(points: readonly MetricPoint[], keys: readonly string[]): SeedStat[] {
  const order = new Map(keys.map((k, i) => [k, i]));
  const perSeed = new Map<string, number[]>(); // `${key}\u0000${step}` → finite values over seeds
  const aggregate = new Map<string, number>(); // same key → the seed -1 value
  const where = new Map<string, { key: string; step: number }>();
  for (const p of points) {
    if (!order.has(p.key) || p.value === null || !Number.isFinite(p.value)) continue;
    const id = `${p.key}\u0000${p.step}`;
    where.set(id, { key: p.key, step: p.step });
    if (p.seed < 0) aggregate.set(id, p.value);
    else (perSeed.get(id) ?? perSeed.set(id, []).get(id)!).push(p.value);
  }
  const rows: SeedStat[] = [];
  for (const [id, { key, step }] of where) {
    const vs = perSeed.get(id) ?? [aggregate.get(id)!];
    const n = vs.length, m = mean(vs);
    rows.push({ key, step, mean: m, sd: n > 1 ? sd(vs, m) : 0, min: Math.min(...vs), max: Math.max(...vs), n });
  }
  return rows.sort((a, b) => order.get(a.key)! - order.get(b.key)! || a.step - b.step);
}

/** Round for the spec's inline data: keeps specs small and their JSON stable across platforms. */
export const round = (v: number, digits = 6): number => Number(v.toPrecision(digits));
