// A spec's plugins: their source is part of the experiment's identity (the spec hash), and bad
// plugin input is an E_SPEC error that says what is wrong. The plugins are copies in a temp folder
// inside the repo: "ecotone/extend" is a package self-reference, which Node resolves only for
// files inside the package's folder (see the todo below).
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadSpec } from "../../src/experiment/load.ts";
import { expandSweep } from "../../src/sweep/spec.ts";
import { specHash } from "../../src/train/plan.ts";

const examples = join(import.meta.dirname, "../../examples/plugins");
const tmp = mkdtempSync(join(import.meta.dirname, ".tmp-spec-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
for (const f of ["modular.ts", "hinge.ts"]) copyFileSync(join(examples, f), join(tmp, f));

/** Writes a spec into the temp folder; its plugins are relative to it. */
function specFile(name: string, o: { plugins?: string[]; world?: string } = {}): string {
  const path = join(tmp, name);
  writeFileSync(path, `
plugins: [${(o.plugins ?? ["./modular.ts", "./hinge.ts"]).join(", ")}]
seeds: 2
world: { kind: ${o.world ?? "modular"}, modulus: 5 }
envs: [{ name: add, objective: sft }, { name: sub, objective: { kind: hinge, margin: 0.5 } }]
model: { hidden: [8] }
train: { steps: 20, evalEvery: 10, probes: 16 }
`);
  return path;
}

/** Runs `edit` on the copied hinge.ts, then puts the original back. */
async function withEditedHinge<T>(edit: (src: string) => string, f: () => Promise<T>): Promise<T> {
  const path = join(tmp, "hinge.ts"), original = readFileSync(path, "utf8");
  writeFileSync(path, edit(original));
  try {
    return await f();
  } finally {
    writeFileSync(path, original);
  }
}

const rejects = (p: Promise<unknown>, message: RegExp) =>
  assert.rejects(p, (e: any) => {
    assert.equal(e.code, "E_SPEC", e.stack);
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n\s+at /, "a message, not a stack");
    return true;
  });

describe("the spec hash and plugin source", () => {
  const path = specFile("hash.yaml");

  it("is the same for the same spec and plugin source", async () => {
    assert.equal(specHash(await loadSpec(path)), specHash(await loadSpec(path)));
  });

  it("changes when a plugin's source changes, even by a comment, and comes back with it", async () => {
    const before = specHash(await loadSpec(path));
    const edited = await withEditedHinge((s) => s.replace("margin: 1,", "margin: 2,"), async () => specHash(await loadSpec(path)));
    const comment = await withEditedHinge((s) => s + "// a comment\n", async () => specHash(await loadSpec(path)));
    assert.notEqual(edited, before);
    assert.notEqual(comment, before);
    assert.notEqual(comment, edited);
    assert.equal(specHash(await loadSpec(path)), before);
  });

  // An edited plugin makes another sweep: its finished cells were trained by the old source.
  it("gives a sweep whose plugin changed a new sweep id", async () => {
    const sweep = async () => {
      await loadSpec(path); // registers (or reloads) the plugins, as loadSweep does from a file
      return expandSweep({ base: "./hash.yaml", grid: { "world.distinguishability": [0, 1] } }, { dir: tmp }).id;
    };
    const before = await sweep();
    const after = await withEditedHinge((s) => s.replace("margin: 1,", "margin: 2,"), sweep);
    assert.notEqual(after, before);
    assert.equal(await sweep(), before);
  });
});

describe("bad plugin input", () => {
  it("names the path of a plugin file that does not exist", async () => {
    await rejects(loadSpec(specFile("missing.yaml", { plugins: ["./modular.ts", "./nope.ts"] })), new RegExp(`plugin not found: ${join(tmp, "nope.ts").replace(/[.\\]/g, "\\$&")}$`));
  });

  it("says so when a file exports no component", async () => {
    writeFileSync(join(tmp, "empty.ts"), "export const answer = 42;\n");
    await rejects(loadSpec(specFile("empty.yaml", { plugins: ["./empty.ts"] })), /plugin .*empty\.ts exports no component/);
  });

  it("names the nearest registered kind for an unknown world kind", async () => {
    await rejects(loadSpec(specFile("kind.yaml", { world: "modulr" })), /world\.kind: unknown world kind: "modulr" .*\(did you mean "modular"\?\)/);
  });

  it("reports a plugin that fails to import, with the reason", async () => {
    writeFileSync(join(tmp, "broken.ts"), 'import { nothing } from "./not-there.ts";\nexport default nothing;\n');
    await rejects(loadSpec(specFile("broken.yaml", { plugins: ["./broken.ts"] })), /plugin .*broken\.ts failed to load: .*not-there/);
  });

  it("refuses a plugin that would replace a built-in", async () => {
    writeFileSync(join(tmp, "sft.ts"), 'import { defineObjective } from "ecotone/extend";\nexport default defineObjective({ kind: "sft", schema: null as any, tensors: {}, loss: null as any });\n');
    await rejects(loadSpec(specFile("clash.yaml", { plugins: ["./sft.ts"] })), /objective "sft" is already registered/);
  });

  // Node resolves a package self-reference only from inside the package's folder, and the bare
  // imports of a plugin (zod, @jax-js/jax) from the plugin's own folder upwards.
  it("loads a plugin that lives outside the checkout (an .mts file: a .ts file outside an ES-module package is CommonJS to tsx)", async () => {
    const out = mkdtempSync(join(tmpdir(), "ecotone-plugin-"));
    try {
      copyFileSync(join(examples, "confidence.ts"), join(out, "confidence.mts"));
      writeFileSync(join(out, "spec.yaml"), readFileSync(specFile("outside.yaml"), "utf8").replace("./modular.ts, ./hinge.ts", `${join(tmp, "modular.ts")}, ${join(tmp, "hinge.ts")}, ./confidence.mts`));
      await loadSpec(join(out, "spec.yaml"));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
