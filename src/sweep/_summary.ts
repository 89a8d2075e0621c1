// Internal: the class of a stored run summary, read defensively (runs stored before the
// classification existed, or failed ones, have none).
const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);

export interface CellClass {
  label: string; // "unresolved" when the summary has no classification
  scores: Record<string, number>; // soft score per class
  ci: Record<string, unknown>; // interval per class, e.g. { lo, hi }
}

export function classOf(summary: unknown): CellClass {
  const c = isObj(summary) ? summary.classification : undefined;
  return {
    label: typeof c?.label === "string" ? c.label : "unresolved",
    scores: isObj(c?.scores) ? c.scores : {},
    ci: isObj(c?.ci) ? c.ci : {},
  };
}
