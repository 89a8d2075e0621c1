// The figures of one run, as vega-lite specs built by src/plots: the dashboard compiles them for
// the browser, the report renders them to inline SVG, so both show exactly the same pictures.
// Accuracy per environment comes first, as curves and as the performance matrix; then one figure
// per descriptor panel, in reading order (src/plots/panels.ts), so a plugin's metric gets its own.
// A key with no finite value yet (a run that just started, a metric that is NaN by definition for
// this schedule) is left out, and a figure left with no key is not drawn rather than drawn empty.

import type { MetricDescriptor } from "../metrics/live/index.ts";
import { curvesSpec, describeKeys, matrixSpec, panelGroup, panelGroups, PANELS, presentKeys, type VlSpec } from "../plots/index.ts";
import type { MetricPoint, Phase } from "../store/types.ts";

export interface Figure {
  id: string; // stable name, used as a DOM hook and in report anchors
  title: string; // caption
  spec: VlSpec;
}

/** "representation: CKA across cues" → "representation-cka-across-cues". */
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "panel";

/** Every figure the run's metrics can fill, in reading order; `stored`: the run's descriptors (RunRow.metrics). */
export function runFigures(points: readonly MetricPoint[], phases: readonly Phase[], stored?: readonly MetricDescriptor[]): Figure[] {
  const ds = describeKeys(presentKeys(points), stored);
  const figures: Figure[] = [];
  const acc = panelGroup(PANELS.accuracy, ds.filter((d) => d.panel === PANELS.accuracy));
  if (acc.keys.length > 0) {
    figures.push({
      id: "performance", title: `${PANELS.accuracy} (mean ± sd over seeds; schedule phases behind)`,
      spec: curvesSpec(points, { keys: acc.keys, labels: acc.labels, phases, yDomain: acc.yDomain, yTitle: acc.yTitle ?? null }),
    });
    figures.push({
      id: "matrix", title: "performance matrix P[t][k]: accuracy per environment over time (outlined: the environment in training)",
      spec: matrixSpec(points, { keys: acc.keys, phases, colorTitle: acc.yTitle, domain: acc.yDomain }),
    });
  }
  const ids = new Set(figures.map((f) => f.id));
  for (const g of panelGroups(ds.filter((d) => d.panel !== PANELS.accuracy))) {
    let id = slug(g.title);
    for (let i = 2; ids.has(id); i++) id = `${slug(g.title)}-${i}`;
    ids.add(id);
    figures.push({ id, title: g.title, spec: curvesSpec(points, { keys: g.keys, labels: g.labels, phases, yDomain: g.yDomain, yTitle: g.yTitle ?? null }) });
  }
  return figures;
}
