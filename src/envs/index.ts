// Worlds: the registry and the built-in families. A new family is one file plus one line here
// (or a plugin file named in a spec's `plugins:`).
import { Registry } from "../components/registry.ts";
import { lmsk } from "./lmsk.ts";
import { teacher } from "./teacher.ts";
import { tokens } from "./tokens.ts";
import type { WorldDef } from "./world.ts";

export type { ProbeSet, SequenceLayout, World, WorldDef, WorldFacts } from "./world.ts";
export { defineWorld } from "./world.ts";

export const worlds = new Registry<WorldDef>("world");
worlds.add(teacher);
worlds.add(lmsk);
worlds.add(tokens);
