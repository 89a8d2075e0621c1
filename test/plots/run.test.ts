// `ecotone plot`'s standard picture: accuracy, behaviour, class scores and the headline mechanism
// metrics, then a panel per group of keys no registered metric writes; picked by descriptors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runPanelsSpec, toSvg } from "../../src/plots/index.ts";
import type { MetricPoint } from "../../src/store/types.ts";
import { blocks, count } from "./_fixtures.ts";

const KEYS = ["perf/acc:A", "perf/acc:B", "perf/reward:A", "behav/cond", "behav/churn", "class/generalist", "class/conditional", "class/churn",
  "route/decode:L1", "route/decode:L2", "route/selective", "route/conflict", "rep/ckaEnv", "rep/dim", "cl/avg", "train/loss", "custom/score"];
const points: MetricPoint[] = [0, 100, 200, 300].flatMap((step) => [0, 1].flatMap((seed) => KEYS.map((key, k) => ({ step, seed, key, value: ((k + seed) % 5) / 5 + step / 1000 }))));

type Panel = { title: { text: string }; layer: { data?: unknown; layer?: { encoding: { color: { scale: { domain: string[] } } } }[] }[] };
const legend = (p: Panel) => p.layer.find((l) => l.data && l.layer)!.layer![1]!.encoding.color.scale.domain;

describe("runPanelsSpec", () => {
  const spec = runPanelsSpec(points, blocks(2, 150), "a run") as { vconcat: Panel[] };

  it("stacks accuracy, behaviour, class scores, mechanism headlines, then keys no metric writes", () => {
    assert.deepEqual(spec.vconcat.map((p) => p.title.text), ["accuracy per environment (mean ± sd over seeds)", "behaviour", "class scores", "mechanism", "custom"]);
    assert.deepEqual(spec.vconcat.map(legend), [
      ["A", "B"], ["conditionality", "churn"], ["ecological-generalist", "conditional-policy", "strategy-churn"],
      ["cue decodability at L1 (LDA probe)", "cue decodability at L2 (LDA probe)", "gradient conflict between environments (cosine)", "CKA across cues"],
      ["custom/score"],
    ]);
  });

  it("draws every panel", async () => {
    assert.equal(count(await toSvg(spec as never), /aria-roledescription="line mark"/), 2 + 2 + 3 + 4 + 1);
  });
});
