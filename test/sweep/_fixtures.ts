// Tiny cells and temporary stores shared by the sweep tests: a cell trains in well under a second.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const tinyBase = (steps = 60) => ({
  world: { content: 12, cue: 4, classes: 4 },
  envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }],
  schedule: { kind: "blocks", phaseSteps: 20 },
  model: { hidden: [16] },
  train: { steps, evalEvery: 20, batch: 16, probes: 32 },
});

/** The same base as YAML, indented to sit under `base:`. */
export const tinyBaseYaml = (steps = 60) => `
  world: { content: 12, cue: 4, classes: 4 }
  envs: [{ name: A, objective: sft }, { name: B, objective: sft }]
  schedule: { kind: blocks, phaseSteps: 20 }
  model: { hidden: [16] }
  train: { steps: ${steps}, evalEvery: 20, batch: 16, probes: 32 }`;

export const tempDir = (what: string) => mkdtempSync(join(tmpdir(), `ecotone-sweep-${what}-`));
