// src/dynamics/index.ts with this new files (see _ecotone.ts).
export * from "../../src/dynamics/index.ts";
export * from "../../src/dynamics/distance.ts";
export * from "../../src/dynamics/dropout.ts";
export * from "../../src/dynamics/landscape.ts";
export * from "../../src/dynamics/transitions.ts";
