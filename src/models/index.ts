// Models: the registry and the built-ins. A new model is one file plus one line here (or a plugin
// file named in a spec's `plugins:`).
import { Registry } from "../components/registry.ts";
import { mlp } from "./mlp.ts";
import { transformer } from "./transformer.ts";
import type { ModelDef } from "./model.ts";

export type { ApplyOptions, ApplyResult, Model, ModelDef, ModelShape } from "./model.ts";
export { defineModel } from "./model.ts";

export const models = new Registry<ModelDef>("model");
models.add(mlp);
models.add(transformer);
