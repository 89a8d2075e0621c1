// docs/extending.md runs: each ```ts block is a module of its own, run in order as if saved at the
// repository root, and a block that shows an example plugin is that file, byte for byte. The
// blocks are written to a temp folder inside the repo, where "ecotone" and "ecotone/extend"
// resolve to this checkout by package self-reference (as they do for a user's files here).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it, mock } from "node:test";

const root = join(import.meta.dirname, "../..");
const doc = readFileSync(join(root, "docs/extending.md"), "utf8");
const blocks = [...doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
const examples = join(root, "examples/plugins");
const files = Object.fromEntries(readdirSync(examples).map((f) => [f, readFileSync(join(examples, f), "utf8")]));

describe("docs/extending.md", () => {
  it("shows the objective and the metric plugins as they are", () => {
    for (const f of ["hinge.ts", "confidence.ts"]) assert.ok(blocks.includes(files[f]!), `no block is examples/plugins/${f} verbatim`);
  });

  it("has examples for every kind of component and for fit and optimizer", () => {
    const code = blocks.join("\n");
    for (const s of ["defineObjective", "defineMetric", "modular.create", "resmlp.create", "loadSpec", "specHash", "runExperiment", "fit(", "optimizer("])
      assert.ok(code.includes(s), `no example uses ${s}`);
  });

  it("runs every example, in order, without error", async () => {
    const dir = mkdtempSync(join(import.meta.dirname, ".tmp-docs-"));
    const printed: string[] = [];
    const log = mock.method(console, "log", (...a: unknown[]) => void printed.push(a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" ")));
    const cwd = process.cwd();
    process.chdir(root); // the blocks name files from the repository root
    try {
      for (const [i, block] of blocks.entries()) {
        // .mts: ESM wherever it lies; imports of ./examples/… resolved to this checkout's files
        const file = join(dir, `block${i + 1}.mts`);
        writeFileSync(file, block.replaceAll('"./examples/', JSON.stringify(pathToFileURL(root).href + "/examples/").slice(0, -1)));
        await import(pathToFileURL(file).href);
      }
    } finally {
      process.chdir(cwd);
      log.mock.restore();
      rmSync(dir, { recursive: true, force: true });
    }
    const line = (re: RegExp) => assert.ok(printed.some((l) => re.test(l)), `no line matches ${re}:\n${printed.join("\n")}`);
    line(/^18 7 \["add","sub","k2"\]$/);
    line(/^\{"cueDecodability":0\.9\d+,"labelAgreement":0\.142857/);
    line(/^\[2,5,7\] \[\[2,5,16\],\[2,5,16\],\[2,5,16\]\] 1511$/);
    line(/^confidence on add2b: /);
    line(/^blocks  0\.00 1\.00$/);
    line(/^mixture 0\.[45]\d 0\.[45]\d$/);
    line(/^adam on \(w − 3\)²: 3\.00\d$/);
  });
});
