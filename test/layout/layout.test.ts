// The layout's promises, checked on the source itself: no import cycles (type imports included),
// internal `_*.ts` files used only inside their folder, and a trainer that names no metric: every
// key lives in its metric's component file (src/metrics/live/).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../src/", import.meta.url));
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? files(p) : /\.(ts|mjs|js)$/.test(f) ? [p] : [];
});
const sources = files(root).filter((f) => f.endsWith(".ts"));
const imports = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm)].map((m) => normalize(join(dirname(file), m[1]!)));

describe("layout", () => {
  it("has no import cycle", () => {
    const graph = new Map(sources.map((f) => [f, imports(f)]));
    const state = new Map<string, 1 | 2>(), stack: string[] = [], cycles: string[] = [];
    const visit = (f: string) => {
      state.set(f, 1);
      stack.push(f);
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 1) cycles.push(stack.slice(stack.indexOf(g)).map((x) => relative(root, x)).join(" → "));
        else if (!state.has(g)) visit(g);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of sources) if (!state.has(f)) visit(f);
    assert.deepEqual(cycles, []);
  });

  it("imports internal _*.ts files only from their own folder", () => {
    const bad = sources.flatMap((f) => imports(f).filter((g) => /\/_[^/]+$/.test(g) && dirname(g) !== dirname(f)).map((g) => `${relative(root, f)} imports ${relative(root, g)}`));
    assert.deepEqual(bad, []);
  });

  it("the trainer names no metric key", () => {
    const keys = /["'`](perf|behav|class|route|rep|cl|ws|mature|train)\/[\w:]*/;
    const bad = files(join(root, "train")).flatMap((f) =>
      readFileSync(f, "utf8").split("\n").map((l, i) => [l, i] as const).filter(([l]) => keys.test(l) && !/^\s*\/\//.test(l)).map(([l, i]) => `${relative(root, f)}:${i + 1}: ${l.trim()}`));
    assert.deepEqual(bad, []);
  });
});
