// Stability of trainers and the learning-dynamics tools on ecotone's own runs (SPEC claims 4
// and 5). Re-exports only; files named _*.ts are internal. The model-agnostic measurements
// (sharpness, LLC, disagreement, ...) live in src/dynamics and take any jax-js model.
export { DIMENSIONS, perturbDefaults, parseDimensions, planDimension, studyBase, withNovel } from "./perturb.ts";
export type { Dimension, DimensionPlan, PerturbOptions, Variant } from "./perturb.ts";
export { stabilityReport, stabilityDefaults } from "./report.ts";
export type { DimensionReport, Dispersion, StabilityOptions, StabilityReport } from "./report.ts";
export { stabilityMap, mapDefaults, logspace, momentumAxis } from "./map.ts";
export type { MapCell, MapOptions, StabilityMap } from "./map.ts";
export { stabilityMapSpec } from "./mapPlot.ts";
export { pairStats, matchedSpread, seedSpread, accuracy, alive } from "./spread.ts";
export type { PairStats, ProbeLayout } from "./spread.ts";
export { ensureRun, layoutOf } from "./runs.ts";
export type { StudyOptions, TrainedRun } from "./runs.ts";
export { member, memberOf, memberModel, memberSize, probeBatch, probeRows, trainedEnvs } from "./members.ts";
export type { MemberParams } from "./members.ts";
export { loadMember } from "./inspect.ts";
export type { StoredMember } from "./inspect.ts";
export { trainingSet, trainingSetDefaults } from "./data.ts";
export { trainWithSnapshots } from "./snapshots.ts";
export type { Snapshot } from "./snapshots.ts";
export { landscapeOfRun } from "./landscape.ts";
export { llcOfRun, llcAlongTraining, llcDefaults, llcWarnings } from "./llc.ts";
export type { LlcReport, LlcRunOptions, LlcTrajectoryReport } from "./llc.ts";
export { disagreeRuns, disagreeDefaults } from "./disagree.ts";
export type { DisagreeReport } from "./disagree.ts";
export { simplicityBias, simplicityDefaults } from "./simplicity.ts";
export { slowlyChangingRegression, plasticityStudy } from "./plasticity.ts";
export type { SimplicityOptions, SimplicityReport } from "./simplicity.ts";
