// `ecotone run spec.yaml path=value ...`: overrides on any dotted path, checked like a sweep's.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseSpec } from "../../src/experiment/load.ts";
import { expandSweep } from "../../src/sweep/spec.ts";
import { applyOverrides, parseOverride } from "../../src/experiment/overrides.ts";
import { openStore } from "../../src/store/index.ts";

const base = () => parseSpec({
  name: "ov",
  seeds: 2,
  world: { content: 12, cue: 4, classes: 4 },
  envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }],
  schedule: { kind: "blocks", phaseSteps: 20 },
  model: { hidden: [16] },
  train: { steps: 40, evalEvery: 20, batch: 16, probes: 32 },
});

describe("overrides", () => {
  it("reads values as YAML scalars", () => {
    const cases: [string, [string, unknown]][] = [
      ["train.lr=0.01", ["train.lr", 0.01]],
      ["envs.1.objective=reward", ["envs.1.objective", "reward"]],
      ["train.probes=64", ["train.probes", 64]],
      ["baselines=true", ["baselines", true]],
      ["model.hidden=[8, 8]", ["model.hidden", [8, 8]]],
      ["name=a=b", ["name", "a=b"]],
    ];
    for (const [arg, want] of cases) assert.deepEqual(parseOverride(arg), want, arg);
    assert.throws(() => parseOverride("train.lr"), /override: expected path=value, got "train.lr"$/);
    assert.throws(() => parseOverride("=1"), /expected path=value/);
  });

  it("sets any dotted path, list indices included, and validates the result", () => {
    const b = base();
    const s = applyOverrides(b, ["train.lr=0.02", "world.distinguishability=0.5", "envs.1.objective=reward", "seeds=3"]);
    assert.equal(s.train.lr, 0.02);
    assert.equal((s.world as Record<string, unknown>).distinguishability, 0.5);
    assert.deepEqual(s.envs[1]!.objective, { kind: "reward", baseline: "mean" }); // a name is the objective with its defaults
    assert.equal(s.seeds, 3);
    assert.deepEqual(b, base()); // the input is not changed
  });

  it("names the nearest valid path for a typo, and rejects an invalid value", () => {
    assert.throws(() => applyOverrides(base(), ["train.lrr=0.1"]), /override: unknown path train.lrr \(did you mean train.lr\?\)$/);
    assert.throws(() => applyOverrides(base(), ["envs.5.objective=reward"]), /envs is a list of 2, so 5 is not an index \(expected 0..1\)$/);
    assert.throws(() => applyOverrides(base(), ["train.lr=fast"]), /invalid spec/);
  });

  it("ecotone run applies them (with --seeds) and stores the spec as run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ecotone-ov-"));
    const spec = join(dir, "s.yaml");
    writeFileSync(spec, "name: ov\nseeds: 2\nworld: { content: 12, cue: 4, classes: 4 }\nenvs: [{ name: A, objective: sft }, { name: B, objective: sft }]\nschedule: { kind: blocks, phaseSteps: 20 }\nmodel: { hidden: [16] }\ntrain: { steps: 40, evalEvery: 20, batch: 16, probes: 32 }\n");
    const run = (...a: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, "../../bin/ecotone.js"), "run", spec, ...a, "--store", join(dir, "r.db")], { encoding: "utf8", cwd: dir, env: { ...process.env, CI: "1" } });
    const bad = run("train.lrr=0.1");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown path train.lrr \(did you mean train.lr\?\)/);
    const typo = run("--set", "train.lrr=0.1");
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /unknown path train.lrr \(did you mean train.lr\?\)/);
    const r = run("train.lr=0.02", "--set", "envs.1.objective=reward", "--seeds", "3", "--json");
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.seeds, 3);
    const store = await openStore(join(dir, "r.db"), { readonly: true });
    const stored = JSON.parse((await store.getRun(out.runId))!.specJson);
    await store.close();
    assert.equal(stored.train.lr, 0.02);
    assert.equal(stored.envs[1].objective.kind, "reward");
  });

  it("--set overrides a sweep's base for every cell (a new sweep id), and refuses a swept path", () => {
    const doc = { name: "sw", base: { seeds: 2, world: { content: 12, cue: 4, classes: 4 }, envs: [{ name: "A", objective: "sft" }, { name: "B", objective: "sft" }], train: { steps: 40, evalEvery: 20 } }, grid: { "train.lr": [0.01, 0.02] } };
    const plain = expandSweep(structuredClone(doc));
    const set = expandSweep(structuredClone(doc), { set: ["train.batch=8", "envs.1.objective=reward"] });
    assert.deepEqual(set.cells.map((c) => [c.spec.train.lr, c.spec.train.batch, c.spec.envs[1]!.objective.kind]), [[0.01, 8, "reward"], [0.02, 8, "reward"]]);
    assert.notEqual(set.id, plain.id);
    assert.equal(expandSweep(structuredClone(doc), { set: [] }).id, plain.id);
    assert.throws(() => expandSweep(structuredClone(doc), { set: ["train.lr=0.5"] }), /--set train.lr: that path is swept by the grid; set it there/);
    assert.throws(() => expandSweep(structuredClone(doc), { set: ["train.bach=8"] }), /unknown path train.bach \(did you mean train.batch\?\)/);
  });
});
