import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import YAML from "yaml";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadSpec, parseSpec } from "../../src/experiment/load.ts";
import { loadSweep } from "../../src/sweep/spec.ts";
import { EcotoneError } from "../../src/util/errors.ts";

/** Asserts that `fn` throws an E_SPEC EcotoneError whose message contains every fragment. */
async function rejectsSpec(p: Promise<unknown>, ...fragments: (string | RegExp)[]): Promise<void> {
  let message = "";
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof EcotoneError, `expected an EcotoneError, got ${String(e)}`);
    assert.equal(e.code, "E_SPEC");
    message = e.message;
    return true;
  });
  for (const f of fragments) assert.ok(typeof f === "string" ? message.includes(f) : f.test(message), `message ${JSON.stringify(message)} lacks ${String(f)}`);
}

function throwsSpec(fn: () => unknown, ...fragments: (string | RegExp)[]): string {
  let message = "";
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EcotoneError, `expected an EcotoneError, got ${String(e)}`);
    assert.equal(e.code, "E_SPEC");
    message = e.message;
    return true;
  });
  for (const f of fragments) {
    if (typeof f === "string") assert.ok(message.includes(f), `message lacks ${JSON.stringify(f)}:\n${message}`);
    else assert.match(message, f);
  }
  return message;
}
const parseFails = (input: unknown, ...fragments: (string | RegExp)[]) => throwsSpec(() => parseSpec(input, "t.yaml"), ...fragments);

describe("parseSpec: misspelt keys", () => {
  const cases: [where: string, input: unknown, bad: string, suggestion: string, at: string][] = [
    ["at top level", { seedz: 3 }, "seedz", "seed", "(top level)"],
    ["in schedule", { schedule: { kind: "blocks", phaseStep: 10 } }, "phaseStep", "phaseSteps", "schedule"],
    ["in a markov schedule", { schedule: { kind: "markov", switchProbb: 0.1 } }, "switchProbb", "switchProb", "schedule"],
    ["in train", { train: { lrr: 0.1 } }, "lrr", "lr", "train"],
    ["in world", { world: { distinguishabilty: 0.5 } }, "distinguishabilty", "distinguishability", "world"],
    ["in model", { model: { hiden: [4] } }, "hiden", "hidden", "model"],
    ["in an env list item", { envs: [{ name: "A", objectiv: "sft" }, { name: "B" }] }, "objectiv", "objective", "envs.0"],
    ["in the second env list item", { envs: [{ name: "A" }, { nme: "B" }] }, "nme", "name", "envs.1"],
    ["in a preference objective", { envs: [{ name: "A", objective: { kind: "preference", betta: 1 } }] }, "betta", "beta", "envs.0.objective"],
    ["in a reward objective", { envs: [{ name: "A", objective: { kind: "reward", basline: "none" } }] }, "basline", "baseline", "envs.0.objective"],
    ["in a blend novel env", { novel: [{ kind: "blend", of: ["A", "B"], wieght: 0.3 }] }, "wieght", "weight", "novel.0"],
  ];
  for (const [where, input, bad, suggestion, at] of cases) {
    it(`names "${bad}" ${where} and suggests "${suggestion}"`, () => {
      parseFails(input, `unknown key "${bad}" at ${at}`, `did you mean "${suggestion}"`);
    });
  }

  it("lists the valid keys when no key is close to the misspelt one", () => {
    const m = parseFails({ train: { zzzzzzzzzzzz: 1 } }, `unknown key "zzzzzzzzzzzz" at train`, "valid keys:", "lr", "steps");
    assert.doesNotMatch(m, /did you mean/);
  });

  it("names every problem of a spec, not just the first", () => {
    parseFails({ train: { lrr: 0.1 }, model: { hiden: [3] } }, `unknown key "lrr"`, `unknown key "hiden"`);
  });

  it("prefixes the message with the source", () => {
    throwsSpec(() => parseSpec({ seedz: 1 }, "my/spec.yaml"), /^my\/spec\.yaml: /);
  });
});

describe("parseSpec: unknown kinds and enum values", () => {
  it("rejects an unknown schedule kind with E_SPEC", () => {
    parseFails({ schedule: { kind: "cosin" } }, "schedule");
  });

  it("names the bad schedule kind and its path", () => {
    const m = parseFails({ schedule: { kind: "cosin" } }, `"cosin"`, "schedule.kind");
    assert.doesNotMatch(m, /kind\.kind|undefined/);
  });

  it("names the bad objective kind, written as shorthand", () => {
    const m = parseFails({ envs: [{ name: "A", objective: "rewrd" }] }, `"rewrd"`, "envs.0.objective");
    assert.doesNotMatch(m, /kind\.kind|undefined/);
  });

  it("names an unknown optimizer, the options and the nearest one", () => {
    parseFails({ train: { optimizer: "adamw" } }, "train.optimizer", `"adamw"`, `"sgd" | "momentum" | "adam"`, `did you mean "adam"`);
  });
});

describe("parseSpec: out-of-range values name their path", () => {
  const cases: [string, unknown, string][] = [
    ["distinguishability 1.5", { world: { distinguishability: 1.5 } }, "world.distinguishability"],
    ["similarity -0.1", { world: { similarity: -0.1 } }, "world.similarity"],
    ["labelNoise 2", { world: { labelNoise: 2 } }, "world.labelNoise"],
    ["classes 1", { world: { classes: 1 } }, "world.classes"],
    ["seeds 0", { seeds: 0 }, "seeds"],
    ["lr 0", { train: { lr: 0 } }, "train.lr"],
    ["batch 1.5", { train: { batch: 1.5 } }, "train.batch"],
    ["dropout 0.99", { model: { dropout: 0.99 } }, "model.dropout"],
    ["phaseSteps 0", { schedule: { kind: "blocks", phaseSteps: 0 } }, "schedule.phaseSteps"],
    ["switchProb 1.2", { schedule: { kind: "markov", switchProb: 1.2 } }, "schedule.switchProb"],
    ["a negative mixture weight", { schedule: { kind: "mixture", weights: { A: -1 } } }, "schedule.weights.A"],
    ["preference beta 0", { envs: [{ name: "A", objective: { kind: "preference", beta: 0 } }] }, "envs.0.objective.beta"],
    ["an env name with a space", { envs: [{ name: "env A" }] }, "envs.0.name"],
  ];
  for (const [what, input, path] of cases) it(`rejects ${what} at ${path}`, () => void parseFails(input, `${path}: `));

  it("accepts the bounds themselves (distinguishability 0 and 1)", () => {
    assert.equal(parseSpec({ world: { distinguishability: 0 } }).world.distinguishability, 0);
    assert.equal(parseSpec({ world: { distinguishability: 1 } }).world.distinguishability, 1);
  });
});

describe("parseSpec: cross-references", () => {
  const cases: [string, unknown, string[]][] = [
    ["an unknown env in schedule.order", { schedule: { kind: "blocks", order: ["A", "C"] } }, ["blocks order", "unknown environment: C"]],
    ["an unknown env in mixture.weights", { schedule: { kind: "mixture", weights: { A: 1, Q: 2 } } }, ["mixture weights", "unknown environment: Q"]],
    ["an unknown env in novel.of", { novel: [{ kind: "blend", of: ["A", "Z"] }] }, ["unknown environment: Z"]],
    ["an unknown markov start", { schedule: { kind: "markov", start: "X" } }, ["markov start", "unknown environment: X"]],
    ["duplicate env names", { envs: [{ name: "A" }, { name: "B" }, { name: "A" }] }, ["duplicate environment name: A"]],
    ["as many envs as classes", { world: { classes: 3 }, envs: [{ name: "A" }, { name: "B" }, { name: "C" }] }, ["need more classes than environments", "3 classes for 3 environments"]],
    ["all-zero mixture weights", { schedule: { kind: "mixture", weights: { A: 0, B: 0 } } }, ["at least one weight must be positive"]],
  ];
  for (const [what, input, fragments] of cases) it(`rejects ${what}, naming it`, () => void parseFails(input, "t.yaml: ", ...fragments));

  it("accepts one env fewer than classes", () => {
    assert.equal(parseSpec({ world: { classes: 3 }, envs: [{ name: "A" }, { name: "B" }] }).envs.length, 2);
  });

  it("accepts references to envs that exist", () => {
    const spec = parseSpec({
      envs: [{ name: "A" }, { name: "B" }],
      novel: [{ kind: "blend", of: ["B", "A"], weight: 0.25 }],
      schedule: { kind: "blocks", order: ["B", "A", "A"] },
    });
    assert.deepEqual(spec.schedule, { kind: "blocks", phaseSteps: 200, order: ["B", "A", "A"] });
    assert.deepEqual(spec.novel, [{ kind: "blend", of: ["B", "A"], weight: 0.25 }]);
  });
});

describe("parseSpec: defaults", () => {
  it("fills every default for an empty spec", () => {
    const spec = parseSpec({});
    assert.equal(spec.name, "experiment");
    assert.equal(spec.seed, 0);
    assert.equal(spec.seeds, 8);
    assert.equal(spec.train.steps, 1000);
    assert.equal(spec.train.optimizer, "adam");
    assert.deepEqual(spec.envs, [{ name: "A", objective: { kind: "sft" } }, { name: "B", objective: { kind: "sft" } }]);
    assert.deepEqual(spec.schedule, { kind: "blocks", phaseSteps: 200 });
    assert.deepEqual(spec.novel, []);
    assert.deepEqual(spec.world, { kind: "teacher", content: 24, cue: 8, classes: 8, distinguishability: 1, similarity: 0, labelNoise: 0, seed: 0 });
  });

  it("treats undefined and null like an empty spec", () => {
    assert.deepEqual(parseSpec(undefined), parseSpec({}));
    assert.deepEqual(parseSpec(null), parseSpec({}));
  });

  it("fills the rest of a partly given section", () => {
    const spec = parseSpec({ world: { content: 5 }, train: { lr: 0.5 } });
    assert.equal(spec.world.content, 5);
    assert.equal(spec.world.cue, 8);
    assert.equal(spec.train.lr, 0.5);
    assert.equal(spec.train.batch, 64);
  });

  it("fills an env's objective with sft", () => {
    assert.deepEqual(parseSpec({ envs: [{ name: "A" }] }).envs[0]!.objective, { kind: "sft" });
  });

  const shorthands: [string, unknown][] = [
    ["sft", { kind: "sft" }],
    ["reward", { kind: "reward", baseline: "mean" }],
    ["preference", { kind: "preference", beta: 0.1 }],
  ];
  for (const [short, full] of shorthands) {
    it(`expands the objective shorthand "${short}" to ${JSON.stringify(full)}`, () => {
      assert.deepEqual(parseSpec({ envs: [{ name: "A", objective: short }] }).envs[0]!.objective, full);
    });
  }

  it("fills schedule defaults per kind", () => {
    assert.deepEqual(parseSpec({ schedule: { kind: "markov" } }).schedule, { kind: "markov", switchProb: 0.01 });
    assert.deepEqual(parseSpec({ schedule: { kind: "mixture" } }).schedule, { kind: "mixture" });
  });
});

describe("loadSpec", () => {
  const dir = mkdtempSync(join(tmpdir(), "ecotone-spec-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("gives E_SPEC naming the file for a YAML syntax error", async () => {
    const p = file("broken.yaml", "name: x\nworld: { content: 3\ntrain:\n  lr: [\n");
    await rejectsSpec(loadSpec(p), `${p}: not valid YAML`);
  });

  it("gives E_SPEC naming the path for a missing file", async () => {
    const p = join(dir, "nope.yaml");
    await rejectsSpec(loadSpec(p), `cannot read spec file: ${p}: no such file`);
    await rejectsSpec(loadSpec(dir), `cannot read spec file: ${dir}: it is a directory`);
  });

  it("gives E_SPEC with the file name and the misspelt key", async () => {
    const p = file("typo.yaml", "schedule:\n  kind: blocks\n  phaseStep: 10\n");
    await rejectsSpec(loadSpec(p), `${p}: invalid spec`, `unknown key "phaseStep"`, `did you mean "phaseSteps"`);
  });

  it("gives E_SPEC for a document that is not a mapping", async () => {
    await rejectsSpec(loadSpec(file("scalar.yaml", "hello\n")), "(top level)");
  });

  it("names the experiment after the file when the spec has no name", async () => {
    assert.equal((await loadSpec(file("my-exp.yaml", "seeds: 2\n"))).name, "my-exp");
  });

  it("keeps the name written in the file", async () => {
    assert.equal((await loadSpec(file("other.yaml", "name: given\n"))).name, "given");
  });

  it("loads a JSON spec", async () => {
    const spec = await loadSpec(file("j.json", JSON.stringify({ seeds: 3, envs: [{ name: "X", objective: "reward" }] })));
    assert.equal(spec.seeds, 3);
    assert.equal(spec.name, "j");
    assert.deepEqual(spec.envs, [{ name: "X", objective: { kind: "reward", baseline: "mean" } }]);
  });
});

describe("examples/*.yaml", () => {
  const dir = fileURLToPath(new URL("../../examples/", import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"));
  it("has at least one example", () => assert.ok(files.length > 0));
  const isSweep = (f: string) => /^grid:/m.test(readFileSync(join(dir, f), "utf8"));
  for (const f of files) {
    it(`loads ${f}`, async () => {
      if (isSweep(f)) {
        assert.ok((await loadSweep(join(dir, f))).cells.length > 1);
        assert.ok((await loadSweep(join(dir, f), { quick: true })).cells.length >= 1);
        return;
      }
      const spec = await loadSpec(join(dir, f));
      assert.ok(spec.envs.length >= 1);
      assert.equal(typeof spec.name, "string");
    });
  }
  it("loads quickstart.yaml with its written values", async () => {
    const raw = YAML.parse(readFileSync(join(dir, "quickstart.yaml"), "utf8"));
    const spec = await loadSpec(join(dir, "quickstart.yaml"));
    assert.equal(spec.name, basename("quickstart.yaml", ".yaml"));
    assert.deepEqual(spec.envs.map((e) => e.objective.kind), raw.envs.map((e: any) => (typeof e.objective === "string" ? e.objective : e.objective.kind)));
    assert.deepEqual(spec.schedule, raw.schedule);
    assert.equal(spec.train.steps, raw.train.steps);
    assert.equal(spec.seeds, raw.seeds);
  });
});
