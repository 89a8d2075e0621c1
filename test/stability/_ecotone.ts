// What `import { ... } from "ecotone"` gives the examples of docs/dynamics.md when the docs test
// runs them: the package barrel, plus this additions to `dynamics` and the new
// `stability` namespace, until src/index.ts and src/dynamics/index.ts re-export them. After that
// this file is equivalent to src/index.ts (re-exporting a binding twice is not a conflict).
export * from "../../src/index.ts";
export * as dynamics from "./_dynamics.ts";
export * as stability from "../../src/stability/index.ts";
