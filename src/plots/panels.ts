// Which metric keys share a set of axes, and how they are titled, read from the metrics'
// descriptors (src/metrics/live): a run's stored descriptors first, else the registered metric
// that writes the key, else a plain one (a plugin's key whose plugin is not loaded here), so any
// stored key can be drawn. Nothing here names a key.
import { describeKey, metrics, type MetricDef, type MetricDescriptor } from "../metrics/live/index.ts";
import type { MetricPoint } from "../store/types.ts";
import { naturalCompare } from "../util/order.ts";
import type { PanelGroup } from "./curves.ts";

/** Panels of built-in metrics that the standard pictures and defaults single out (test/plots/panels.test.ts checks they exist). */
export const PANELS = {
  accuracy: "accuracy per environment", // the performance curves and matrix
  behaviour: "behaviour", // what depends on the cue (conditionality), what on time (churn)
  classes: "class scores",
  loss: "training loss",
} as const;

/** A panel's keys with their legend labels, y range and y title. */
export interface KeyPanel extends PanelGroup {
  keys: string[];
}

/** Keys with at least one finite value. */
export function presentKeys(points: readonly MetricPoint[]): Set<string> {
  const keys = new Set<string>();
  for (const p of points) if (p.value !== null && Number.isFinite(p.value)) keys.add(p.key);
  return keys;
}

const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&");
const patterns = new WeakMap<MetricDescriptor, RegExp>(); // `perf/acc:{env}` → /^perf\/acc:.+$/

/** The registered metric writing `key` and its pattern's place in registration order; undefined for a key none writes. */
export function registeredAs(key: string): { metric: MetricDef; rank: number } | undefined {
  let rank = 0;
  for (const metric of metrics.all())
    for (const d of metric.keys) {
      let re = patterns.get(d);
      if (!re) patterns.set(d, (re = new RegExp("^" + d.key.split(/\{\w+\}/).map(escape).join(".+") + "$")));
      if (re.test(key)) return { metric, rank };
      rank++;
    }
  return undefined;
}

/** Whether a stored or a registered descriptor says what `key` is. */
export const isDescribed = (key: string, stored: readonly MetricDescriptor[] = []): boolean =>
  stored.some((d) => d.key === key) || registeredAs(key) !== undefined;

/**
 * Descriptors of `keys` in reading order: registration order of the metrics that write them, then
 * the rest (a plugin's) in the run's stored order, then in natural order. Keys of one registered
 * pattern (`perf/acc:{env}`) keep the run's stored order (trained environments, then novel ones).
 */
export function describeKeys(keys: Iterable<string>, stored: readonly MetricDescriptor[] = []): MetricDescriptor[] {
  const at = new Map<string, number>();
  stored.forEach((d, i) => at.has(d.key) || at.set(d.key, i));
  const cmp = (a: number, b: number) => (a === b ? 0 : a < b ? -1 : 1); // Infinity - Infinity is NaN
  return [...new Set(keys)]
    .map((key) => ({ key, rank: registeredAs(key)?.rank ?? Infinity, at: at.get(key) ?? Infinity }))
    .sort((a, b) => cmp(a.rank, b.rank) || cmp(a.at, b.at) || naturalCompare(a.key, b.key))
    .map(({ key }) => describeKey(key, stored));
}

/** One panel per descriptor `panel`, in order of first appearance; a descriptor without one is a table value, not a curve. */
export function panelGroups(ds: readonly MetricDescriptor[]): KeyPanel[] {
  const by = new Map<string, MetricDescriptor[]>();
  for (const d of ds) if (d.panel !== undefined) (by.get(d.panel) ?? by.set(d.panel, []).get(d.panel)!).push(d);
  return [...by].map(([panel, group]) => panelGroup(panel, group));
}

/** The panel `title` drawing `ds`: y range spanning their ranges (when every one has one), y title their common axis. */
export function panelGroup(title: string, ds: readonly MetricDescriptor[]): KeyPanel {
  const labels = shortTitles(ds.map((d) => d.title));
  const axes = [...new Set(ds.flatMap((d) => (d.axis === undefined ? [] : [d.axis])))];
  // Keys on different axes (accuracy, cosine) share a panel untitled: their legend says what each is.
  const yTitle = axes.length === 1 && ds.every((d) => d.axis !== undefined) ? axes[0] : ds.length === 1 ? ds[0]!.title : undefined;
  const ranges = ds.map((d) => d.range);
  const yDomain = ranges.length > 0 && ranges.every((r) => r !== undefined)
    ? [Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))] as [number, number] : undefined;
  return {
    title, keys: ds.map((d) => d.key), labels: Object.fromEntries(ds.map((d, i) => [d.key, labels[i]!])),
    ...(yTitle !== undefined && { yTitle }), ...(yDomain && { yDomain }),
  };
}

/**
 * Legend labels: the titles without the leading and trailing words they all share ("accuracy on
 * A", "accuracy on B" → "A", "B"); the whole titles when that would leave one empty or two alike.
 */
export function shortTitles(titles: readonly string[]): string[] {
  if (titles.length < 2) return [...titles];
  const words = titles.map((t) => t.split(/(?<=[\s/:])/)); // each word keeps the space, / or : after it
  const shortest = Math.min(...words.map((w) => w.length));
  const shared = (at: (w: string[], i: number) => string, limit: number) => {
    let n = 0;
    while (n < limit && words.every((w) => at(w, n) === at(words[0]!, n))) n++;
    return n;
  };
  const head = shared((w, i) => w[i]!, shortest);
  const tail = shared((w, i) => w[w.length - 1 - i]!, shortest - head);
  const labels = words.map((w) => w.slice(head, w.length - tail).join("").trim());
  return labels.every((l) => l !== "") && new Set(labels).size === labels.length ? labels : [...titles];
}
