// Alignment-based conditionality, churn and trend on constructed outputs whose answers are known.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alignment, converging, phaseLoad, phaseTrendFit, targetConditionality, type WindowSchedule } from "../../src/metrics/alignment.ts";
import { Rng } from "../../src/util/rng.ts";

const E = 2, C = 4, S = 1;
// Teacher k's label for content n: A = n mod 4, B = (n+1) mod 4: they disagree everywhere.
const labelsFor = (N: number) => Int32Array.from({ length: E * N }, (_, i) => (Math.floor(i / N) + (i % N)) % C);
const teacherA = (n: number) => n % C, teacherB = (n: number) => (n + 1) % C;

/** Outputs [S=1, E, N, C] of a policy (cue e, content n) → class, written as sharp-ish distributions. */
function outputs(policy: (e: number, n: number) => number, N = 6, conf = 0.7): Float32Array {
  const p = new Float32Array(E * N * C).fill((1 - conf) / (C - 1));
  for (let e = 0; e < E; e++) for (let n = 0; n < N; n++) p[(e * N + n) * C + policy(e, n)] = conf;
  return p;
}

const EVERY = 25; // steps between checkpoints
/** A window of T checkpoints at the end of a run whose per-step schedule is `envAt(step)` (−1 = mixed batch). */
function schedule(T: number, envAt: (step: number) => number): WindowSchedule {
  const start = 1000, steps = Array.from({ length: T }, (_, t) => start + (t + 1) * EVERY);
  const sequence = Int32Array.from({ length: start + (T + 1) * EVERY }, (_, i) => envAt(i));
  return { steps, load: phaseLoad(sequence, steps, steps.map((s) => s - EVERY), E) };
}
/** Blocks of `every` checkpoints per phase, A first in the window. */
const blocks = (T: number, every: number) => schedule(T, (i) => Math.floor((i - 1000) / (every * EVERY)) % 2);
const mixture = (T: number) => schedule(T, () => -1);
/** Env in training over the interval before window checkpoint t (one phase per interval here). */
const phaseAt = (sc: WindowSchedule, t: number) => (sc.load[t * E]! > 0.5 ? 0 : 1);

const run = (window: Float32Array[], sc: WindowSchedule, N = 6) => {
  const r = alignment(window, labelsFor(N), { T: window.length, S, E, N, C }, sc);
  return { cond: r.cond[0]!, churn: r.churn[0]!, trend: r.trend[0]!, converging: converging(r.trend, r.churn)[0]! };
};

describe("alignment", () => {
  it("the teachers' own conditionality is 1 when they disagree everywhere and 0 when they agree", () => {
    assert.ok(Math.abs(targetConditionality(labelsFor(6), E, 6) - 1) < 1e-12);
    const same = Int32Array.from({ length: E * 6 }, (_, i) => i % 6 % C);
    assert.equal(targetConditionality(same, E, 6), 0);
  });

  const alternate = schedule(4, (i) => Math.floor(i / EVERY) % 2); // a switch at every checkpoint
  const cases: [string, Float32Array[], WindowSchedule, number, number][] = [
    ["a model that ignores the cue has zero conditionality and, if stable, zero churn", [outputs((_, n) => teacherA(n)), outputs((_, n) => teacherA(n))], blocks(2, 1), 0, 0],
    ["a model that looks the answer up by cue has full conditionality", [outputs((e, n) => (e ? teacherB(n) : teacherA(n)))], blocks(1, 1), 1, 0],
    ["a model that follows the teacher of each phase, switching at every checkpoint, has full churn",
      [0, 1, 2, 3].map((t) => outputs((_, n) => (phaseAt(alternate, t) ? teacherB(n) : teacherA(n)))), alternate, 0, 1],
    ["confidence does not matter, only the chosen answers", [outputs((e, n) => (e ? teacherB(n) : teacherA(n)), 6, 0.3)], blocks(1, 1), 1, 0],
    ["a 3:1 split of the phases in time gives churn 3/4", [0, 0, 0, 1].map((t) => outputs((_, n) => (t ? teacherB(n) : teacherA(n)))), blocks(4, 3), 0, 0.75],
  ];
  for (const [name, window, sc, cond, churn] of cases)
    it(name, () => {
      const r = run(window, sc);
      assert.ok(Math.abs(r.cond - cond) < 1e-9, `cond ${r.cond}`);
      assert.ok(Math.abs(r.churn - churn) < 1e-9, `churn ${r.churn}`);
    });

  it("flicker between tied answers on scattered inputs adds little churn", () => {
    // At every checkpoint one different content flips to the other teacher's answer.
    const window = [0, 1, 2, 3, 4, 5].map((t) => outputs((_, n) => (n === t ? teacherB(n) : teacherA(n))));
    assert.ok(run(window, blocks(6, 1)).churn < 0.4);
  });

  it("checks that the schedule matches the window", () => {
    assert.throws(() => alignment([outputs(teacherA)], labelsFor(6), { T: 1, S, E, N: 6, C }, blocks(2, 1)), /expected a schedule of 1 steps and a \[1, 2\] load, got 2 steps and 4 loads/);
  });
});

describe("churn needs the switching", () => {
  const N = 240, T = 16;
  const sc = blocks(T, 4); // phases A, B, A, B of 4 checkpoints each
  /** At checkpoint t the model answers as `who` on a fraction frac(t) of the contents and by chance (a fresh random class) on the rest. */
  const learner = (frac: (t: number) => number, who: (n: number) => number = teacherA, seed = 1) => {
    const rng = new Rng(seed, 0);
    return Array.from({ length: T }, (_, t) => outputs((_, n) => (rng.uniform() < frac(t) ? who(n) : rng.int(C)), N));
  };
  /** At checkpoint t the model answers as teacher A on a fraction frac(t) of the contents and as teacher B on the rest. */
  const mixOf = (frac: (t: number) => number) => Array.from({ length: T }, (_, t) => outputs((_, n) => ((n + 0.5) / N < frac(t) ? teacherA(n) : teacherB(n)), N));

  it("a model still learning one teacher, from chance to the teacher across the window, has churn ≈ 0 and is flagged converging", () => {
    const r = run(learner((t) => t / (T - 1)), sc, N);
    assert.ok(r.churn < 0.05, `churn ${r.churn}`);
    assert.ok(Math.abs(r.trend - 0.5) < 0.05, `trend ${r.trend}`); // chance → teacher is half of the teachers' difference (chance is equidistant)
    assert.equal(r.converging, 1);
  });

  it("a learner that saturates early is still mostly trend, little churn", () => {
    const r = run(learner((t) => 1 - Math.exp((-4 * t) / (T - 1))), sc, N);
    assert.ok(r.churn < 0.1, `churn ${r.churn}`);
    assert.equal(r.converging, 1);
  });

  it("a slow oscillation between the teachers, not locked to the phases, scores low churn", () => {
    // One period over the window (16 checkpoints) while the phases switch every 2: the previous rule,
    // 2·MAD of the whole series, gave 0.63. (An oscillation near the phases' own period cannot be
    // told from phase locking in a short window; docs/metrics.md says so.)
    const fast = blocks(T, 2);
    for (const shift of [0, 1, 2, 3]) {
      const r = run(mixOf((t) => 0.5 + 0.5 * Math.sin((2 * Math.PI * (t + shift)) / T)), fast, N);
      assert.ok(r.churn < 0.15, `churn ${r.churn} (shift ${shift})`);
    }
  });

  it("a learner that follows the teacher of each phase scores churn 1 and no trend", () => {
    const r = run(mixOf((t) => (phaseAt(sc, t) === 0 ? 1 : 0)), sc, N);
    assert.ok(Math.abs(r.churn - 1) < 1e-9, `churn ${r.churn}`);
    assert.ok(r.trend < 1e-9, `trend ${r.trend}`);
    assert.equal(r.converging, 0);
  });

  it("a phase tracker that is also still improving keeps its churn", () => {
    // follows the phase's teacher on a growing share of contents, chance on the rest
    const rng = new Rng(3, 0);
    const window = Array.from({ length: T }, (_, t) => outputs((_, n) => (rng.uniform() < 0.6 + (0.4 * t) / (T - 1) ? (phaseAt(sc, t) ? teacherB(n) : teacherA(n)) : rng.int(C)), N));
    const r = run(window, sc, N);
    assert.ok(r.churn > 0.7, `churn ${r.churn}`);
  });

  it("a stable generalist has no churn and no trend; a conditional policy is unchanged", () => {
    const g = run(learner(() => 1), sc, N);
    assert.ok(g.churn < 1e-9 && g.trend < 1e-9, `churn ${g.churn} trend ${g.trend}`);
    const c = run(Array.from({ length: T }, () => outputs((e, n) => (e ? teacherB(n) : teacherA(n)), N)), sc, N);
    assert.ok(Math.abs(c.cond - 1) < 1e-9 && c.churn < 1e-9 && c.trend < 1e-9, `${c.cond} ${c.churn} ${c.trend}`);
  });

  it("under a mixture schedule (no switches) churn is 0 by construction, whatever the behaviour does", () => {
    const mx = mixture(T);
    for (const window of [mixOf((t) => t % 2), mixOf((t) => 0.5 + 0.5 * Math.sin(t)), learner((t) => t / (T - 1))])
      assert.equal(run(window, mx, N).churn, 0);
    assert.ok(run(mixOf((t) => t % 2), blocks(T, 1), N).churn > 0.99); // the same behaviour locked to a switching schedule
  });

  it("in a window without a switch, a change of behaviour is trend, not churn", () => {
    const r = run(learner((t) => t / (T - 1)), blocks(T, T), N);
    assert.equal(r.churn, 0);
    assert.ok(r.trend > 0.4);
  });
});

describe("phaseLoad and phaseTrendFit", () => {
  it("the phase load is the fraction of the steps since the previous checkpoint that trained each env", () => {
    const seq = Int32Array.from({ length: 100 }, (_, i) => (i < 60 ? 0 : 1));
    assert.deepEqual(Array.from(phaseLoad(seq, [50, 75, 100], [25, 50, 75], 2)), [1, 0, 0.4, 0.6, 0, 1]);
    assert.deepEqual(Array.from(phaseLoad(new Int32Array(50).fill(-1), [25, 50], [0, 25], 2)), [0, 0, 0, 0]); // a mixture loads no phase
  });
  it("the checkpoint at initialisation takes the phase that starts there, so learning from init is not a switch", () => {
    const seq = Int32Array.from({ length: 100 }, (_, i) => (i < 60 ? 0 : 1));
    assert.deepEqual(Array.from(phaseLoad(seq, [0, 25, 50], [0, 0, 25], 2)), [1, 0, 1, 0, 1, 0]);
    // a model learning teacher A from chance, in a window that starts at init, inside A's first phase
    const N = 60, sc = { steps: [0, 25, 50], load: phaseLoad(seq, [0, 25, 50], [0, 0, 25], 2) };
    const window = [0, 0.8, 1].map((f) => outputs((_, n) => ((n + 0.5) / N < f ? teacherA(n) : (n + 2) % C), N));
    assert.equal(run(window, sc, N).churn, 0);
  });
  it("splits intercept + slope·t + phase exactly, and gives a pure trend no phase part", () => {
    const sc = blocks(8, 2), fit = phaseTrendFit(sc, E);
    const y = sc.steps.map((s, t) => 0.2 + 0.001 * (s - sc.steps[0]!) + 0.3 * (phaseAt(sc, t) === 1 ? 1 : 0));
    const f = fit(y);
    assert.ok(Math.abs(f.slope - 0.001) < 1e-12, `slope ${f.slope}`);
    const centred = Array.from(f.phase, (v) => v - f.phase[0]!);
    centred.forEach((v, t) => assert.ok(Math.abs(v - 0.3 * (phaseAt(sc, t) === 1 ? 1 : 0)) < 1e-12));
    const g = fit(sc.steps.map((s) => 0.1 + 0.002 * s));
    assert.ok(g.phase.every((v) => Math.abs(v - g.phase[0]!) < 1e-12));
  });
});
