// Scalar curves from a Hugging Face trainer_state.json (its `log_history`: loss, learning_rate,
// grad_norm, rewards/margins, kl, eval_loss…), stored as run-level metrics (seed −1) under
// `hf/<name>` with descriptors, so the dashboard and report draw them beside the probe metrics.
import { readFileSync } from "node:fs";
import { why } from "../experiment/load.ts";
import type { MetricDescriptor } from "../metrics/live/index.ts";
import type { MetricPoint } from "../store/index.ts";
import { specError } from "../util/errors.ts";

export const HF_PREFIX = "hf/";

// log_history fields that are bookkeeping or end-of-training totals, not curves
const SKIP = /^(step|epoch|total_flos|train_loss|.*_runtime|.*_per_second|.*_samples|num_input_tokens_seen)$/;

/** Panels of the usual fields; any other field gets a panel of its own. */
const PANELS: [RegExp, string, string][] = [
  [/^(eval_)?loss$/, "Hugging Face: loss", "loss"],
  [/^learning_rate$/, "Hugging Face: learning rate", "learning rate"],
  [/^grad_norm$/, "Hugging Face: gradient norm", "norm"],
  [/^(eval_)?rewards\//, "Hugging Face: rewards", "reward"],
  [/^(eval_)?(objective\/)?kl$|\/kl$/, "Hugging Face: KL", "KL"],
  [/^(eval_)?logps\//, "Hugging Face: log-probabilities", "log-probability"],
  [/^(eval_)?logits\//, "Hugging Face: logits", "logit"],
];

/** The fields a trainer log usually has, described before they appear (a followed log grows new ones). */
export const HF_COMMON = ["loss", "learning_rate", "grad_norm", "eval_loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies", "kl", "objective/kl"];

export function hfDescriptor(field: string): MetricDescriptor {
  const hit = PANELS.find(([re]) => re.test(field));
  return { key: HF_PREFIX + field, title: `${field} (Hugging Face trainer log)`, axis: hit?.[2] ?? field, panel: hit?.[1] ?? `Hugging Face: ${field}` };
}

/** The curves of trainer_state.json at `path`: one point per logged step and numeric field, at seed −1. */
export function readTrainerState(path: string): MetricPoint[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw specError(`cannot read trainer state ${path}: ${e instanceof SyntaxError ? `not valid JSON: ${e.message}` : why(e)}`);
  }
  const history = (doc as { log_history?: unknown } | null)?.log_history;
  if (!Array.isArray(history)) throw specError(`${path}: log_history: expected an array (a Hugging Face trainer_state.json), found ${JSON.stringify(history)?.slice(0, 40)}`);
  const at = new Map<string, MetricPoint>();
  history.forEach((entry: unknown, i) => {
    if (!entry || typeof entry !== "object") throw specError(`${path}: log_history[${i}]: expected an object, found ${JSON.stringify(entry)}`);
    const step = (entry as Record<string, unknown>).step;
    if (typeof step !== "number" || !Number.isInteger(step) || step < 0) throw specError(`${path}: log_history[${i}].step: expected a step number, found ${JSON.stringify(step)}`);
    for (const [field, v] of Object.entries(entry))
      if (typeof v === "number" && Number.isFinite(v) && !SKIP.test(field)) at.set(`${step}\0${field}`, { step, seed: -1, key: HF_PREFIX + field, value: v });
  });
  return [...at.values()];
}
