// The standard picture of one run: accuracy per environment, behaviour, class scores and the
// headline mechanism metrics, stacked on the schedule's phases; then a panel per group of keys
// no registered metric writes (a plugin's). Keys are picked by their descriptors (see panels.ts).
import type { MetricDescriptor } from "../metrics/live/index.ts";
import type { MetricPoint, Phase } from "../store/types.ts";
import { panelsSpec } from "./curves.ts";
import { describeKeys, panelGroup, panelGroups, PANELS, presentKeys, registeredAs } from "./panels.ts";
import type { VlSpec } from "./render.ts";

/** Metrics whose headline keys share the mechanism panel. */
const MECHANISM = ["routing", "conflict", "representation"];

/** `stored`: the run's own descriptors (RunRow.metrics); keys without one are described by the registry. */
export function runPanelsSpec(points: readonly MetricPoint[], phases: readonly Phase[], title?: string, stored?: readonly MetricDescriptor[]): VlSpec {
  const ds = describeKeys(presentKeys(points), stored);
  const inPanel = (panel: string) => ds.filter((d) => d.panel === panel);
  const groups = [
    panelGroup(`${PANELS.accuracy} (mean ± sd over seeds)`, inPanel(PANELS.accuracy)),
    panelGroup(PANELS.behaviour, inPanel(PANELS.behaviour)),
    panelGroup(PANELS.classes, inPanel(PANELS.classes)),
    panelGroup("mechanism", ds.filter((d) => d.headline && MECHANISM.includes(registeredAs(d.key)?.metric.kind ?? ""))),
    ...panelGroups(ds.filter((d) => registeredAs(d.key) === undefined)),
  ].filter((g) => g.keys.length > 0);
  return panelsSpec(points, groups, phases, { title });
}
