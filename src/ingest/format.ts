// The probe-log format, version 1 (docs/probe-log.md): what any training framework writes so that
// ecotone can measure and classify a run it never trained. A manifest (JSON) says what was probed
// (environments and their cues, probes with each environment's reference answer, the answer
// options, the schedule's phases, the seeds); record files (JSONL or CSV, optionally gzipped)
// hold one line per seed × step × probe × cue with the model's answer. The manifest's schema is
// written once, here: validation, the published JSON Schema (schemas/probe-log.schema.json) and
// the docs all come from it.
import { z } from "zod";

/** The version tag every manifest carries; a reader refuses any other. */
export const FORMAT = "ecotone-probe-log/1";

// as the lab's own environment names: they become metric keys (perf/acc:NAME)
const name = z.string().regex(/^[A-Za-z][\w-]*$/, "a name of letters, digits, _ or -, starting with a letter").refine((n) => n !== "mixture", "\"mixture\" names a phase that trains every environment");

export const environmentSchema = z.strictObject({
  name: name.describe("the environment's name: records name it in their `cue` field"),
  cue: z.string().optional().describe("how the model is told which environment it is in (a system prompt, a prefix, a tag); for the reader, not used in computation"),
  objective: z.string().optional().describe("its training objective: sft, reward, preference or any other word (phases may say otherwise)"),
  novel: z.boolean().default(false).describe("probed but never trained (a held-out environment): it has its own probe set, no counterfactual one"),
  probes: z.array(z.string()).optional().describe("ids of its own probe set, scored under its own cue (performance); default: the counterfactual probes"),
});

export const probeSchema = z.strictObject({
  id: z.string().min(1).describe("the probe's id: records name it in their `probe` field"),
  text: z.string().optional().describe("the content shown after the cue (for the reader and for producers)"),
  references: z.record(z.string(), z.string()).describe("per environment name, the answer that environment rewards: an option, or with free-text options the reference text"),
});

export const phaseSchema = z.strictObject({
  env: z.string().describe("the environment trained in [start, end), or \"mixture\": every trained environment in every batch"),
  start: z.int().min(0).describe("first step of the phase"),
  end: z.int().min(1).describe("one past the phase's last step"),
  objective: z.string().optional().describe("the objective kind in this phase (default: the environment's)"),
});

export const manifestSchema = z.strictObject({
  format: z.literal(FORMAT).describe("the format and its version"),
  name: z.string().min(1).describe("the run's name in the store"),
  description: z.string().optional().describe("free text"),
  options: z.union([z.array(z.string().min(1)).min(2), z.literal("free-text")])
    .describe("the answer options, in the order of a record's `logprobs` array; \"free-text\": answers were graded elsewhere against each environment's reference (records carry `agreement`)"),
  environments: z.array(environmentSchema).min(1).describe("trained environments (schedule order does not matter), and novel ones"),
  probes: z.array(probeSchema).min(1).describe("every probe, with its reference answer per environment"),
  counterfactual: z.array(z.string()).optional()
    .describe("ids of the probes shown under every trained environment's cue (conditionality and churn); default: every probe with a reference for every trained environment"),
  seeds: z.union([z.int().min(1), z.array(z.union([z.int(), z.string().min(1)])).min(1)])
    .describe("the ensemble: a count (records say seed 0 … n−1) or the seed ids records use"),
  schedule: z.strictObject({
    kind: z.string().optional().describe("how the phases came about (blocks, markov, interleaved…): a label for lists; \"mixture\" for one mixture phase"),
    steps: z.int().min(1).describe("training steps in all: the phases cover [0, steps)"),
    phases: z.array(phaseSchema).min(1).describe("contiguous phases from step 0 to `steps`"),
  }).describe("what was trained when"),
  checkpoints: z.array(z.int().min(0)).optional().describe("the steps that have records, ascending; default: every step records appear at (the run is complete at `schedule.steps`)"),
  window: z.int().min(0).default(0).describe("late window of the behavioural metrics, in steps; 0 = ecotone's default (two mean phase lengths, within 20–50% of the run)"),
  records: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .describe("record files, relative to the manifest: .jsonl or .csv, optionally .gz; several files (one per seed, say) are read side by side"),
  trainerState: z.string().optional().describe("a Hugging Face trainer_state.json (relative to the manifest) whose log_history curves are stored beside the probe metrics"),
  baselines: z.strictObject({
    mixture: z.string().optional().describe("manifest of the stationary-mixture baseline (same probes, seeds, options)"),
    specialists: z.record(z.string(), z.string()).optional().describe("per trained environment, the manifest of its specialist baseline"),
  }).optional().describe("probe logs of the weighted-sum baselines (docs/metrics.md, ws/* and mature/*)"),
  source: z.record(z.string(), z.unknown()).optional().describe("provenance, free-form: framework, model, commit, command line"),
});

export type ManifestInput = z.input<typeof manifestSchema>;
export type Manifest = z.output<typeof manifestSchema>;

/** One record line as JSON (validated by hand in records.ts, for speed; this is its published schema). */
export const recordJsonSchema = {
  type: "object",
  description: "One line of a JSONL record file: the model's answer to one probe under one environment's cue, for one seed at one checkpoint. Exactly one of answer, logprobs, agreement.",
  required: ["seed", "step", "probe", "cue"],
  additionalProperties: false,
  properties: {
    seed: { type: ["integer", "string"], description: "a seed of the manifest" },
    step: { type: "integer", minimum: 0, description: "the checkpoint: training steps done when the model was probed" },
    probe: { type: ["string", "integer"], description: "a probe id of the manifest" },
    cue: { type: "string", description: "the environment whose cue the probe was shown under" },
    answer: { type: ["string", "integer"], description: "the chosen answer: an option (or its index); with free-text options, a text compared with the references exactly" },
    logprobs: {
      oneOf: [
        { type: "array", items: { type: ["number", "null"] }, description: "one per option, in the manifest's order; null = −∞" },
        { type: "object", additionalProperties: { type: ["number", "null"] }, description: "option → log-probability, every option once; null = −∞" },
      ],
      description: "log-probabilities over the options (softmax-normalised unless they already sum to 1 within 1e-4)",
    },
    agreement: {
      type: "object", additionalProperties: { type: "number", minimum: 0, maximum: 1 },
      description: "free-text options only: environment name → agreement in [0, 1] of the answer with that environment's reference",
    },
  },
} as const;

/** The published JSON Schema: the manifest, and a record line under $defs.record. */
export function probeLogJsonSchema(): Record<string, unknown> {
  const manifest = z.toJSONSchema(manifestSchema, { io: "input" }) as Record<string, unknown>;
  return {
    ...manifest,
    title: `ecotone probe-log manifest (${FORMAT})`,
    description: "A run trained anywhere, as ecotone reads it: the manifest. docs/probe-log.md explains every field; record lines follow $defs.record (JSONL) or the CSV header described there.",
    $defs: { record: recordJsonSchema },
  };
}
