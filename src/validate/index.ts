// `ecotone validate`: published known-answer cases run on this machine (docs/validate.md).
// The barrel: the case type and helpers, the registry, the runner, the case factories, and the
// synthetic LLC models with their answers (shared with test/dynamics/llc-known.test.ts).
export * from "./case.ts";
export { familyCase, validationCases } from "./registry.ts";
export { type CaseReport, type RunValidationOptions, type ValidationReport, measuredText, renderValidation, runValidation, selectCases } from "./runner.ts";
export { aoyagi, crossingTarget } from "./llc-answers.ts";
export { type LlcProblem, crossingData, linearRegression, normalCrossing, reducedRank } from "./llc-problems.ts";
export { ckaAnisotropicCase, ckaInvarianceCase } from "./cases/cka.ts";
export { continualCases } from "./cases/continual.ts";
export { heavyBallCase } from "./cases/heavy-ball.ts";
export { llcCrossingCase } from "./cases/llc-crossing.ts";
export { llcLinearCase } from "./cases/llc-linear.ts";
export { llcRrrCase } from "./cases/llc-rrr.ts";
export { simplicityCase } from "./cases/simplicity.ts";
