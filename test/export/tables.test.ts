// The tidy tables, checked against a store whose every value is known by construction (_store.ts).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildTables, isPerfKey, labelName, trainedEnvAt, type Table } from "../../src/export/index.ts";
import { LABEL_CODES } from "../../src/metrics/classify.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { fillStore, LABELS, PHASES, RUN_KEYS, RUNS, SEED_KEYS, SEEDS, STEPS, SWEEP, value } from "./_store.ts";

const col = (t: Table, name: string) => {
  const c = t.columns.find((x) => x.name === name);
  assert.ok(c, `${t.name} has a column ${name}`);
  return c.values;
};

describe("tables", () => {
  let store: Store;
  let tables: Map<string, Table>;
  before(async () => {
    store = await openStore(":memory:");
    await fillStore(store);
    tables = new Map((await buildTables(store, RUNS)).map((t) => [t.name, t]));
  });
  after(() => store.close());

  it("trained_env is the env of the step before the checkpoint; none at step 0", () => {
    assert.deepEqual([0, 1, 10, 11, 20, 21].map((s) => trainedEnvAt(PHASES, s)), [null, "A", "A", "B", "B", null]);
    assert.equal(trainedEnvAt([{ start: 0, end: 100, env: "mixture" }], 50), "mixture");
  });

  it("a label code is its name in LABEL_CODES", () => {
    assert.deepEqual([0, 1, 2, 3].map(labelName), [...LABEL_CODES]);
    assert.deepEqual([null, 4, 1.5, -1].map(labelName), [null, null, null, null]);
  });

  it("the performance matrix is the perf metric's keys, whatever the environment", () => {
    assert.deepEqual(["perf/acc:A", "perf/reward:novel1", "perf/loss:B", "perf/acc:", "cl/avg", "behav/cond", "train/loss", "perf/other:A"].map(isPerfKey), [true, true, true, false, false, false, false, false]);
  });

  it("writes the six tables, each starting with run_id", () => {
    assert.deepEqual([...tables.keys()], ["seeds", "runs", "perf", "runs_meta", "phases", "divergences"]);
    for (const t of tables.values()) assert.equal(t.columns[0]!.name, "run_id");
  });

  it("seeds: run_id, step, seed, trained_env, then every seed-level key sorted; one row per run, step and seed", () => {
    const t = tables.get("seeds")!;
    assert.deepEqual(t.columns.map((c) => c.name), ["run_id", "step", "seed", "trained_env", ...[...SEED_KEYS].sort()]);
    const rows = RUNS.flatMap((id, r) => STEPS.flatMap((step) => SEEDS.map((seed) => ({ id, r, step, seed }))));
    assert.deepEqual(col(t, "run_id"), rows.map((x) => x.id));
    assert.deepEqual(col(t, "step"), rows.map((x) => x.step));
    assert.deepEqual(col(t, "seed"), rows.map((x) => x.seed));
    assert.deepEqual(col(t, "trained_env"), rows.map((x) => trainedEnvAt(PHASES, x.step)));
    SEED_KEYS.forEach((key, k) => assert.deepEqual(col(t, key), rows.map((x) => value(x.r, x.step, x.seed, k))));
  });

  it("runs: seed −1 only, the class as its name, no class/label column", () => {
    const t = tables.get("runs")!;
    assert.deepEqual(t.columns.map((c) => c.name), ["run_id", "step", "trained_env", "class", "class/lo:conditional"]);
    assert.deepEqual(col(t, "step"), RUNS.flatMap(() => STEPS));
    const last = LABELS.map((code) => labelName(code));
    assert.deepEqual(col(t, "class"), RUNS.flatMap((_, r) => STEPS.map((s) => (s === 20 ? last[r]! : "ecological-generalist"))));
    assert.deepEqual(col(t, RUN_KEYS[1]!), RUNS.flatMap((_, r) => STEPS.map((s) => value(r, s, -1, 9))));
  });

  it("perf: only the performance-matrix keys", () => {
    const t = tables.get("perf")!;
    assert.deepEqual(t.columns.map((c) => c.name), ["run_id", "step", "seed", "trained_env", "perf/acc:A", "perf/loss:novel1", "perf/reward:B"]);
    assert.equal(col(t, "step").length, RUNS.length * STEPS.length * SEEDS.length);
  });

  it("runs_meta: one row per run; sweep cells numbered from 1; the cell's parameters as param.<path>", () => {
    const t = tables.get("runs_meta")!;
    assert.deepEqual(col(t, "run_id"), RUNS);
    assert.deepEqual(col(t, "sweep_id"), [SWEEP, SWEEP, null]);
    assert.deepEqual(col(t, "cell"), [1, 2, null]);
    assert.deepEqual(col(t, "class"), ["conditional-policy", "unresolved", null]);
    assert.deepEqual(col(t, "tags"), ["", "", "keep paper"]);
    assert.deepEqual(col(t, "last_step"), [20, 20, 20]);
    assert.deepEqual(col(t, "diverged_seeds"), [0, 1, 0]);
    assert.deepEqual(col(t, "world_kind"), ["teacher", "teacher", "teacher"]);
    assert.deepEqual(col(t, "model_kind"), ["mlp", "mlp", "mlp"]);
    assert.deepEqual(col(t, "param.world.distinguishability"), [0, 0.5, null]);
    assert.equal(t.columns.find((c) => c.name === "param.world.distinguishability")!.type, "double");
    assert.deepEqual(col(t, "param.schedule"), ['{"kind":"mixture"}', '{"kind":"blocks","phaseSteps":10}', null]);
  });

  it("phases and divergences: one row each, with its run", () => {
    const p = tables.get("phases")!;
    assert.deepEqual(p.columns.map((c) => c.name), ["run_id", "start", "end", "env"]);
    assert.deepEqual(col(p, "env"), RUNS.flatMap(() => ["A", "B"]));
    const d = tables.get("divergences")!;
    assert.deepEqual(d.columns.map((c) => c.name), ["run_id", "seed", "step", "env", "what"]);
    assert.deepEqual(d.columns.map((c) => c.values), [[RUNS[1]], [1], [20], ["B"], ["NaN loss"]]);
  });

  it("tables of runs exported one by one concatenate to the tables of all (same columns: same union)", async () => {
    const one = await Promise.all(RUNS.map(async (id) => new Map((await buildTables(store, [id])).map((t) => [t.name, t]))));
    for (const name of ["seeds", "runs", "perf", "phases", "divergences"]) {
      const all = tables.get(name)!;
      for (const c of all.columns) assert.deepEqual(one.flatMap((m) => m.get(name)!.columns.find((x) => x.name === c.name)?.values ?? []), c.values, `${name}.${c.name}`);
    }
  });

  it("a table has the rows that hold its values: no empty perf rows where only other metrics were measured", async () => {
    await store.createRun({ id: "rextra000001", name: "x", specJson: "{}", specHash: "h", seeds: 1, steps: 10, volatility: 0, envs: ["A"] });
    await store.writeCheckpoint("rextra000001", 5, [{ step: 5, seed: 0, key: "behav/cond", value: 0.5 }]);
    await store.writeCheckpoint("rextra000001", 10, [{ step: 10, seed: 0, key: "perf/acc:A", value: 0.25 }]);
    const t = new Map((await buildTables(store, ["rextra000001"])).map((x) => [x.name, x]));
    assert.deepEqual(col(t.get("seeds")!, "step"), [5, 10]);
    assert.deepEqual(col(t.get("seeds")!, "behav/cond"), [0.5, null]);
    assert.deepEqual(col(t.get("perf")!, "step"), [10]);
    assert.deepEqual(col(t.get("runs")!, "step"), []);
    assert.deepEqual(col(t.get("seeds")!, "trained_env"), [null, null]); // no phases stored
  });

  it("refuses a run that is not stored", async () => {
    await assert.rejects(buildTables(store, ["rnope"]), (e) => e instanceof EcotoneError && e.code === "E_NOT_FOUND");
  });
});
