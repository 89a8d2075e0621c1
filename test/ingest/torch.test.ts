// The PyTorch producers, where torch is installed (python3 or the system's /usr/bin/python3):
// the plain PyTorch example trains a small ensemble under an interleaved schedule and writes its
// probe log, which ingests to a classified run; the Hugging Face callback's option scorer ranks
// options by log-probability on a causal language model (transformers itself is imported lazily).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { ingest } from "../../src/ingest/index.ts";
import { pyEnv, root, tempDir, tempStore, torchPython } from "./_fixtures.ts";

const why = "torch is not installed (tried `python3 -c \"import torch\"` and /usr/bin/python3)";

it("the plain PyTorch example writes a probe log that ingests to a classified run", async (t) => {
  if (!torchPython) return t.skip(why);
  const dir = tempDir("torch");
  const r = spawnSync(torchPython, [join(root, "clients/python/torch_example.py"), dir, "--seeds", "3", "--steps", "240", "--phase", "40", "--every", "20", "--probes", "16"], { encoding: "utf8", env: pyEnv });
  assert.equal(r.status, 0, r.stderr);
  const store = await tempStore();
  try {
    const { summary: s } = await ingest(join(dir, "manifest.json"), { store });
    assert.equal(s.status, "completed");
    assert.equal(s.lastStep, 240);
    assert.equal(s.classification?.n, 3);
    assert.ok(["ecological-generalist", "conditional-policy", "strategy-churn", "unresolved"].includes(s.classification!.label));
    assert.ok(s.performance.A!.mean > 0.4, `A is learned (accuracy ${s.performance.A!.mean}, chance 0.25)`);
    assert.equal((s as any).ingested.records, 3 * 13 * 16 * 2);
  } finally {
    await store.close();
  }
});

it("the Hugging Face callback's scorer ranks options by their log-probability, with no transformers needed to import it", (t) => {
  if (!torchPython) return t.skip(why);
  const code = `
import sys, torch
sys.path.insert(0, ${JSON.stringify(join(root, "clients/python"))})
import hf_callback
class Tok:
    pad_token_id = 0
    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": [ord(c) % 50 + 1 for c in text]}
class Out:
    def __init__(self, logits): self.logits = logits
class LM(torch.nn.Module):  # predicts the token of "f" after anything
    def __init__(self):
        super().__init__(); self.w = torch.nn.Parameter(torch.zeros(51))
        with torch.no_grad(): self.w[ord("f") % 50 + 1] = 5.0
    def forward(self, input_ids, attention_mask):
        return Out(self.w.expand(*input_ids.shape, 51))
s = hf_callback.score_options(LM(), Tok(), ["Q: pick one", "another prompt"], [" a", " f", " q"], batch_size=2)
assert len(s) == 2 and all(len(r) == 3 for r in s), s
assert max(range(3), key=lambda k: s[0][k]) == 1, s
try:
    import transformers  # noqa: F401
except ImportError:
    try:
        hf_callback.probe_log_callback("x", seed=0, environments=[], probes=[], options=["a"])
        raise SystemExit("expected an ImportError without transformers")
    except ImportError as e:
        assert "transformers" in str(e), e
print("ok")
`;
  const r = spawnSync(torchPython, ["-c", code], { encoding: "utf8", env: pyEnv });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok/);
});
