// Deterministic plots from plain run-store data. Re-exports only; `_*.ts` files are internal.

export { toSvg, toPng, toVega, stableIds, THEME, PALETTE, FONT } from "./render.ts";
export type { VlSpec } from "./render.ts";
export { curvesSpec, panelsSpec } from "./curves.ts";
export type { CurvesOptions, PanelGroup } from "./curves.ts";
export { matrixSpec, phaseDiagramSpec, CLASS_COLORS } from "./heatmap.ts";
export type { MatrixOptions, PhaseDiagramOptions, DiagramCell } from "./heatmap.ts";
export type { KeySelection } from "./_data.ts"; // the keys/prefix part of the options above
export { runPanelsSpec } from "./run.ts";
export { describeKeys, isDescribed, panelGroup, panelGroups, PANELS, presentKeys, registeredAs, shortTitles } from "./panels.ts";
export type { KeyPanel } from "./panels.ts";
