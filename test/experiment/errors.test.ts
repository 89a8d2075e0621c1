// The "did you mean" machinery: src/util/errors.ts (editDistance, nearest, EcotoneError) and
// src/experiment/errors.ts (keysAt, formatIssues), which turns zod issues into spec messages.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { formatIssues, keysAt } from "../../src/experiment/errors.ts";
import { experimentSchema } from "../../src/experiment/schema.ts";
import { trainSchema } from "../../src/train/config.ts";
import { EcotoneError, editDistance, nearest, specError } from "../../src/util/errors.ts";

describe("editDistance", () => {
  const cases: [string, string, number][] = [
    ["", "", 0],
    ["abc", "", 3],
    ["", "abc", 3],
    ["abc", "abc", 0],
    ["kitten", "sitting", 3],
    ["flaw", "lawn", 2],
    ["ab", "ba", 2], // Levenshtein, not Damerau: a transposition costs two edits
    ["phaseStep", "phaseSteps", 1],
    ["lrr", "lr", 1],
    ["distinguishabilty", "distinguishability", 1],
    ["hiden", "hidden", 1],
    ["cosin", "cosine", 1],
    ["Lr", "lr", 1], // case-sensitive
  ];
  for (const [a, b, d] of cases) {
    it(`is ${d} between "${a}" and "${b}", both ways`, () => {
      assert.equal(editDistance(a, b), d);
      assert.equal(editDistance(b, a), d);
    });
  }
});

describe("nearest", () => {
  const keys = ["phaseSteps", "order", "kind", "lr", "momentum", "beta", "beta2", "distinguishability"];
  const cases: [string, readonly string[], string | undefined][] = [
    ["phaseStep", keys, "phaseSteps"],
    ["lrr", keys, "lr"],
    ["LR", keys, "lr"], // case-insensitive
    ["betta", keys, "beta"],
    ["bta2", keys, "beta2"],
    ["momentun", keys, "momentum"],
    ["distinguishabilty", keys, "distinguishability"],
    ["ordr", keys, "order"],
    ["zzzzzzzzzzzz", keys, undefined], // far from everything
    ["xylophone", keys, undefined],
    ["anything", [], undefined], // no candidates
  ];
  for (const [name, candidates, want] of cases) {
    it(`suggests ${want === undefined ? "nothing" : `"${want}"`} for "${name}"`, () => assert.equal(nearest(name, candidates), want));
  }

  it("prefers the first of equally near candidates", () => {
    assert.equal(nearest("ab", ["ac", "ad"]), "ac");
  });

  it("returns the candidate as spelt, not lower-cased", () => {
    assert.equal(nearest("phasesteps", ["phaseSteps"]), "phaseSteps");
  });
});

describe("EcotoneError", () => {
  it("carries its code and message, and is an Error", () => {
    const e = specError("bad spec");
    assert.ok(e instanceof Error);
    assert.ok(e instanceof EcotoneError);
    assert.equal(e.code, "E_SPEC");
    assert.equal(e.message, "bad spec");
    assert.equal(e.name, "EcotoneError");
  });
});

describe("keysAt", () => {
  const cases: [string, (string | number)[], unknown, string[]][] = [
    ["the top level", [], {}, Object.keys(experimentSchema().shape)],
    ["the default world (teacher)", ["world"], {}, ["kind", "content", "cue", "classes", "distinguishability", "similarity", "labelNoise", "seed"]],
    ["the default model (mlp)", ["model"], {}, ["kind", "hidden", "bottleneck", "heads", "dropout", "l1"]],
    ["train (through a default)", ["train"], {}, Object.keys(trainSchema.shape)],
    ["a blocks schedule", ["schedule"], { schedule: { kind: "blocks" } }, ["kind", "phaseSteps", "order"]],
    ["a markov schedule", ["schedule"], { schedule: { kind: "markov" } }, ["kind", "switchProb", "start"]],
    ["an env list item", ["envs", 0], { envs: [{}] }, ["name", "objective"]],
    ["a preference objective (through preprocess)", ["envs", 0, "objective"], { envs: [{ objective: { kind: "preference" } }] }, ["kind", "beta"]],
    ["a blend novel env", ["novel", 0], { novel: [{ kind: "blend" }] }, ["kind", "of", "weight", "name"]],
    ["a leaf", ["seeds"], {}, []],
  ];
  for (const [what, path, input, want] of cases) {
    it(`lists the keys of ${what}`, () => assert.deepEqual(keysAt(experimentSchema(input), path, input), want));
  }
});

describe("formatIssues", () => {
  const issues = (schema: z.ZodType, input: unknown) => {
    const r = schema.safeParse(input);
    assert.ok(!r.success, "expected the input to be invalid");
    return formatIssues(schema, r.error.issues, input);
  };

  it("writes one line per unknown key, with a suggestion", () => {
    const schema = z.strictObject({ alpha: z.number().optional(), gamma: z.number().optional() });
    assert.deepEqual(issues(schema, { alpah: 1, gama: 2 }), [
      `unknown key "alpah" at (top level) (did you mean "alpha"?)\nunknown key "gama" at (top level) (did you mean "gamma"?)`,
    ]);
  });

  it("shows expected and got for a bad enum value", () => {
    const schema = z.strictObject({ mode: z.enum(["fast", "slow"]) });
    assert.deepEqual(issues(schema, { mode: "fsat" }), [`mode: expected one of "fast" | "slow", got "fsat" (did you mean "fast"?)`]);
  });

  it("falls back to zod's message with the path for other issues", () => {
    const schema = z.strictObject({ a: z.strictObject({ b: z.number().max(1) }) });
    assert.deepEqual(issues(schema, { a: { b: 2 } }), ["a.b: Too big: expected number to be <=1"]);
  });

  it("names the bad value of a discriminator", () => {
    const schema = z.strictObject({
      schedule: z.discriminatedUnion("kind", [z.strictObject({ kind: z.literal("blocks") }), z.strictObject({ kind: z.literal("markov") })]),
    });
    const [line] = issues(schema, { schedule: { kind: "cosin" } });
    assert.match(line!, /^schedule\.kind: .*"cosin"/);
    assert.doesNotMatch(line!, /kind\.kind|undefined/);
  });
});
