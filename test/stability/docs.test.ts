// docs/dynamics.md runs: its ```ts blocks, in order, as one module (as a reader would paste
// them), with "ecotone" resolved to this checkout. A failing example fails this test.
import { describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const doc = readFileSync(join(import.meta.dirname, "../../docs/dynamics.md"), "utf8");
const blocks = [...doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

describe("docs/dynamics.md", () => {
  it("has examples for every tool it documents", () => {
    const code = blocks.join("\n");
    for (const fn of ["topEigenvalue", "hutchinsonTrace", "slice1d", "slice2d", "weightNoiseCurve", "weightDropoutCurve", "llc(", "llcTransitions", "outputDistance", "maxDisagreement", "stabilityReport", "stabilityMap", "stabilityMapSpec", "simplicityBias", "loadMember"])
      assert.ok(code.includes(fn), `no example uses ${fn}`);
  });

  it("runs every example, in order, without error", async () => {
    // .mts: ESM wherever it lies; bare specifiers resolved here, since the file lives outside the repo
    const source = blocks.join("\n")
      .replaceAll('"ecotone"', JSON.stringify(pathToFileURL(join(import.meta.dirname, "_ecotone.ts")).href))
      .replaceAll('"@jax-js/jax"', JSON.stringify(import.meta.resolve("@jax-js/jax")));
    const dir = mkdtempSync(join(tmpdir(), "ecotone-docs-"));
    const file = join(dir, "dynamics.md.mts");
    writeFileSync(file, source);
    const printed: string[] = [];
    const log = mock.method(console, "log", (...a: unknown[]) => void printed.push(a.map(String).join(" ")));
    const err = mock.method(process.stderr, "write", () => true); // the runs' progress lines
    try {
      await import(pathToFileURL(file).href);
    } finally {
      log.mock.restore();
      err.mock.restore();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(printed.length >= 10, printed.join("\n"));
    assert.ok(printed.some((l) => l.startsWith("sharpness ")));
  });
});
