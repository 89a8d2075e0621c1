// Learning dynamics of any model written as a jax-js function (claims 4 and 5 of the spec):
// curvature, loss-landscape slices, weight-noise robustness, the local learning coefficient with
// change points along a trajectory, the input on which two models disagree most, and certified
// bounds on how far they can disagree (certify*.ts).
// Ownership: `hvp` and `klRows` follow jax-js move semantics (they consume their arrays, so they
// compose under jit); every measurement borrows: your params and batch are still yours after.
export type { Loss, Params } from "./_tree.ts";
export * from "./model.ts";
export * from "./hessian.ts";
export * from "./slices.ts";
export * from "./robustness.ts";
export * from "./llc.ts";
export * from "./llc-calibrate.ts";
export * from "./changepoints.ts";
export * from "./disagreement.ts";
export * from "./distance.ts";
export * from "./dropout.ts";
export * from "./transitions.ts";
export * from "./landscape.ts";
export * from "./certify.ts";
export * from "./certify-diff.ts";
