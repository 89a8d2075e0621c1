// The spec's `metrics:` section: what is measured at checkpoints, and over which window.
import { z } from "zod";

export const metricsDefaults = {
  window: 0, // late window of the behavioural decomposition, in steps; 0 = auto (2 phases, within 20–50% of the run)
  mechanismProbes: 64, // contents per environment for the mechanism metrics
  conflict: true, // gradient conflict between environments (one backward pass per environment per checkpoint)
  skip: [] as string[], // metrics (by name, e.g. "representation") this run does not measure
};

export const metricsSchema = z.strictObject({
  window: z.int().min(0).default(metricsDefaults.window),
  mechanismProbes: z.int().min(4).max(4096).default(metricsDefaults.mechanismProbes),
  conflict: z.boolean().default(metricsDefaults.conflict),
  skip: z.array(z.string()).default(metricsDefaults.skip),
});
export type MetricsSpec = z.infer<typeof metricsSchema>;

/** The decomposition's window in steps: two mean phase lengths, kept within 20–50% of the run. */
export function windowSteps(spec: MetricsSpec, steps: number, phases: number): number {
  if (spec.window > 0) return spec.window;
  return Math.round(Math.min(0.5 * steps, Math.max(0.2 * steps, (2 * steps) / Math.max(phases, 1))));
}
