// Metrics computed from probe outputs at checkpoints. Re-exports only; `_*.ts` files are internal.

export { entropy, kl, js, jsMany, meanJs } from "./divergence.ts";
export { decompose, targetDivergence, DECOMPOSITION_KEYS } from "./decomposition.ts";
export type { Decomposition, DecompositionKey, WindowDims } from "./decomposition.ts";
export {
  averageAccuracy, forgetting, forgettingPerEnv, backwardTransfer, forwardTransfer,
  retention, retentionPerEnv, normalisedPerformance, normaliseMatrix,
} from "./continual.ts";
export type { Matrix } from "./continual.ts";
export { linearCka } from "./cka.ts";
export { effectiveRank, participationRatio, singularValues } from "./rank.ts";
export { probeDecodability, decodability, ldaDecodability, splitHalves, PROBE_DEFAULTS } from "./probe.ts";
export type { ProbeOptions, ProbeResult } from "./probe.ts";
export { unitSelectivity, selectiveFraction, topUnits, maskOverlap } from "./selectivity.ts";
export type { SelectivityKind } from "./selectivity.ts";
export { gradientCosine, conflictMatrix, meanPairwiseCosine } from "./conflict.ts";
export { summarise, bootstrapCi, quantile, BOOTSTRAP_DEFAULTS } from "./bootstrap.ts";
export type { Summary, Interval, BootstrapOptions } from "./bootstrap.ts";
export { slices } from "./layout.ts";
export type { Flat } from "./layout.ts";
export { CLASSES, CLASS_KEYS, classScores, classify, classifyDefaults } from "./classify.ts";
export type { Classification, ClassLabel, ClassName } from "./classify.ts";
export { alignment, alignmentProfile, alignmentDefaults, converging, phaseLoad, phaseTrendFit, targetConditionality } from "./alignment.ts";
export type { AlignmentDims, WindowSchedule } from "./alignment.ts";
export { maturityNow, maturityDefaults } from "./maturity.ts";
export { continualNow, envRows } from "./timeline.ts";
export type { Timeline } from "./timeline.ts";
export { weightedSum } from "./weightedsum.ts";
