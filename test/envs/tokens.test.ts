// The token world: layout, rules with known outputs, cue decodability and label agreement with
// their closed forms, counterfactual probes that differ only in the trigger, novel environments.
import assert from "node:assert/strict";
import { test } from "node:test";
import { worlds } from "../../src/envs/index.ts";
import { makeRule, TokenWorld } from "../../src/envs/tokens.ts";
import { Rng, STREAM } from "../../src/util/rng.ts";

const def = worlds.get("tokens");
const make = (over: Record<string, unknown> = {}, envs = ["A", "B"], novel: unknown[] = []) =>
  def.create(def.schema.parse({ kind: "tokens", ...over }), envs, novel.map((n) => def.novel!.parse(n))) as TokenWorld;

test("rules: copy, reverse, sort, shift and substitution give their known outputs", () => {
  const c = [3, 0, 7, 2], out = new Int32Array(4);
  const run = (name: string) => (makeRule(name, 8, 0)(c, out), [...out]);
  assert.deepEqual(run("copy"), [3, 0, 7, 2]);
  assert.deepEqual(run("reverse"), [2, 7, 0, 3]);
  assert.deepEqual(run("sort"), [0, 2, 3, 7]);
  assert.deepEqual(run("shift3"), [6, 3, 2, 5]);
  const table = run("sub1"); // a derangement applied token by token: no symbol maps to itself, equal symbols map alike
  table.forEach((v, i) => assert.notEqual(v, c[i]));
  makeRule("sub1", 8, 0)([5, 5], out);
  assert.equal(out[0], out[1]);
});

test("layout: trigger, content, separator, then the env's completion; deterministic from the stream", () => {
  const w = make({ symbols: 6, content: 3, trigger: 2 });
  assert.deepEqual(w.sequence, { prompt: 6, completion: 3, cue: [0, 2] });
  assert.equal(w.inputDim, 9);
  assert.equal(w.classes, 6 + 2 + 2); // symbols, SEP, filler, one trigger per env
  for (let e = 0; e < 2; e++) {
    const x = new Float32Array(9), y = new Float32Array(9);
    w.sample(e, new Rng(1, 2, STREAM.data), x, 0);
    w.sample(e, new Rng(1, 2, STREAM.data), y, 0);
    assert.deepEqual(x, y);
    assert.deepEqual([x[0], x[1]], [8 + e, 8 + e]); // distinguishability 1: the env's own trigger token
    assert.equal(x[5], w.sep);
    for (let l = 0; l < 3; l++) assert.equal(x[6 + l], (x[2 + l]! + e + 1) % 6); // default rules shift1, shift2
  }
});

test("cue decodability: 1 at distinguishability 1, chance at 0 or with no trigger, 0.75 at 0.5 with two slots", () => {
  assert.equal(make().facts().cueDecodability, 1);
  assert.ok(Math.abs(make({ distinguishability: 0 }).facts().cueDecodability - 0.5) < 0.015);
  assert.ok(Math.abs(make({ present: 0 }).facts().cueDecodability - 0.5) < 0.015);
  // each slot shows the own token w.p. 0.5 + 0.5/2 = 0.75: both own 0.5625, a tie 0.375 (guessed), so 0.5625 + 0.1875
  assert.ok(Math.abs(make({ distinguishability: 0.5 }).facts().cueDecodability - 0.75) < 0.015);
  // envs sharing a trigger token cannot be told apart from it
  assert.ok(Math.abs(make({ triggers: [0, 0] }).facts().cueDecodability - 0.5) < 0.015);
});

test("label agreement is the similarity knob: shift1 and shift2 never agree, the shared rule always does", () => {
  assert.equal(make().facts().labelAgreement, 0);
  assert.equal(make({ similarity: 1 }).facts().labelAgreement, 1);
  assert.ok(Math.abs(make({ similarity: 0.4 }).facts().labelAgreement! - 0.4) < 0.02);
  assert.equal(make({}, ["A"]).facts().labelAgreement, null);
});

test("probes: rows are completion tokens; counterfactual variants differ only in the trigger", () => {
  const w = make({ distinguishability: 0.6 }, ["A", "B"]);
  const n = 32, p = w.probes(n), D = w.inputDim, L = 4, P = 7;
  assert.deepEqual(p, w.probes(n));
  assert.equal(p.prompts, n);
  assert.equal(p.n, n * L);
  assert.equal(p.labels.length, 2 * n * L);
  for (let i = 0; i < n; i++) {
    const a = p.cf.subarray(i * D, (i + 1) * D), b = p.cf.subarray((n + i) * D, (n + i + 1) * D);
    assert.deepEqual(a.subarray(2, P), b.subarray(2, P)); // same content and separator
    for (let l = 0; l < L; l++) {
      assert.equal(p.cfLabels[i * L + l], (a[2 + l]! + 1) % 8); // A: shift1 of the shared content
      assert.equal(p.cfLabels[(n + i) * L + l], (a[2 + l]! + 2) % 8); // B: shift2
    }
    // the trigger noise is the same draw: where A's slot shows noise, B's shows the same token
    for (let j = 0; j < 2; j++) if (a[j] !== 10 && b[j] !== 11) assert.equal(a[j], b[j]);
  }
});

test("novel environments: a fresh one has an unseen trigger token; a blend mixes its parents", () => {
  const w = make({}, ["A", "B"], [{ kind: "fresh" }, { kind: "blend", of: ["A", "B"], weight: 0.5 }]);
  assert.deepEqual(w.envs.map((e) => e.name), ["A", "B", "novel1", "blend(A,B)"]);
  assert.equal(w.classes, 8 + 2 + 3);
  const x = new Float32Array(w.inputDim);
  w.sample(2, new Rng(0, 0, STREAM.data), x, 0);
  assert.deepEqual([x[0], x[1]], [12, 12]);
  const seen = new Set<number>(), rows = w.probes(200);
  const D = w.inputDim;
  for (let i = 0; i < 200; i++) for (const j of [0, 1]) seen.add(rows.x[(3 * 200 + i) * D + j]!);
  assert.deepEqual([...seen].sort(), [10, 11]); // the blend shows both parents' triggers
  assert.throws(() => make({}, ["A", "B"], [{ kind: "blend", of: ["A", "C"] }]), /unknown environment: C/);
  assert.throws(() => make({ rules: ["copy"] }), /1 rules for 2 environments/);
  assert.throws(() => def.schema.parse({ kind: "tokens", rules: ["rotate"] }), /copy, reverse, sort/);
});

test("label noise corrupts training tokens only, at the configured rate", () => {
  const w = make({ labelNoise: 0.3 });
  const rng = new Rng(0, 1, STREAM.data);
  let changed = 0;
  for (let i = 0; i < 20_000; i++) changed += +(w.noisy(3, rng) !== 3);
  assert.ok(Math.abs(changed / 20_000 - 0.3 * 7 / 8) < 0.015);
});
