// How a metric key is shown: the one place a key's title, axis and range are written.

/**
 * One key a metric writes. Placeholders expand per run: `{env}` to every probed environment
 * (trained, then novel), `{trained}` to every trained one, `{layer}` to L1…Ln over the model's
 * hidden representations. `perf/acc:{env}` → `perf/acc:A`, titled "accuracy on A".
 */
export interface MetricDescriptor {
  key: string; // `group/name`, e.g. "behav/churn"
  title: string; // what it is, in a few words (may use the placeholders)
  axis?: string; // y-axis title; default: the title
  range?: [number, number]; // the values it can take, when bounded (plots fix their y axis to it)
  headline?: boolean; // one of the numbers a run is summed up by: CLI summary, --json `headline`, report table
  panel?: string; // figures draw the keys of one panel on one set of axes (in descriptor order)
}
