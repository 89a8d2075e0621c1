#!/usr/bin/env node
// ecotone is written in TypeScript and runs through tsx: no build step between edit and run.
import { register } from "tsx/esm/api";
register();
await import("../src/cli/main.ts");
