"""A Hugging Face `TrainerCallback` that writes an ecotone probe log while a Trainer (or a TRL
trainer: SFTTrainer, DPOTrainer, RewardTrainer…) trains.

At the start of training and at every save it scores each multiple-choice probe under each
environment's cue by log-probability: for option o, the summed log-probability of the tokens of
`option_text(o)` after `prompt(cue, probe_text)`. ecotone softmax-normalises the scores over the
options. The Trainer's own `trainer_state.json` is copied next to the log at each save, so its
curves (loss, learning rate, rewards/margins, kl) are stored beside the probe metrics.

transformers (and torch) are imported only when the callback is made, so this module, and the
standard-library writer next to it, import anywhere.

    from hf_callback import probe_log_callback
    import ecotone_probe_log as epl

    # once, for the whole ensemble (one training process per seed):
    epl.write_manifest("probe-log", epl.manifest(name="sft-then-dpo", options=["A", "B", "C", "D"],
        environments=ENVS, probes=PROBES, seeds=[0, 1, 2, 3], schedule=SCHEDULE,
        records=[f"records-seed{s}.jsonl" for s in range(4)], trainer_state="trainer_state-seed0.json"))
    # in the process training seed s:
    trainer = Trainer(..., callbacks=[probe_log_callback("probe-log", seed=s, environments=ENVS, probes=PROBES, options=["A", "B", "C", "D"])])
    trainer.train()

Phases that change the objective (SFT, then DPO on the same model) are one Trainer per phase;
give each the same log directory and seed and `step_offset` = the steps trained before it.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Mapping, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecotone_probe_log as epl  # noqa: E402

__all__ = ["probe_log_callback", "score_options"]


def default_prompt(cue: str, text: str) -> str:
    return f"{cue}\n\n{text}\nAnswer:"


def score_options(model: Any, tokenizer: Any, prompts: Sequence[str], options: Sequence[str], batch_size: int = 8) -> list[list[float]]:
    """Per prompt, the summed log-probability of each option's tokens after it: [len(prompts)][len(options)].
    Works for any causal language model called as model(input_ids=..., attention_mask=...).logits."""
    import torch

    device = next(model.parameters()).device
    pairs = [(p, o) for p in prompts for o in options]
    scores: list[float] = []
    for k in range(0, len(pairs), batch_size):
        chunk = pairs[k:k + batch_size]
        ids, spans = [], []
        for prompt, option in chunk:
            head = tokenizer(prompt, add_special_tokens=True)["input_ids"]
            tail = tokenizer(option, add_special_tokens=False)["input_ids"]
            ids.append(head + tail)
            spans.append((len(head), len(head) + len(tail)))
        width = max(len(x) for x in ids)
        pad = tokenizer.pad_token_id if getattr(tokenizer, "pad_token_id", None) is not None else 0
        input_ids = torch.tensor([x + [pad] * (width - len(x)) for x in ids], device=device)
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids], device=device)
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=input_ids, attention_mask=mask).logits.float(), dim=-1)
        for row, (start, end) in enumerate(spans):
            # token t is predicted at position t - 1
            targets = input_ids[row, start:end]
            scores.append(float(logp[row, start - 1:end - 1].gather(1, targets[:, None]).sum()))
    return [scores[i * len(options):(i + 1) * len(options)] for i in range(len(prompts))]


def probe_log_callback(log_dir: str, *, seed: int | str, environments: Sequence[Mapping[str, Any]], probes: Sequence[Mapping[str, Any]],
                       options: Sequence[str], prompt: Callable[[str, str], str] = default_prompt,
                       option_text: Callable[[str], str] = lambda o: f" {o}", records: str | None = None,
                       step_offset: int = 0, at_start: bool = True, batch_size: int = 8) -> Any:
    """The callback (a transformers.TrainerCallback) writing seed `seed`'s records into `log_dir`.
    `environments`: dicts with name and cue; `probes`: dicts with id and text (their references go in the manifest)."""
    from transformers import TrainerCallback  # lazily: only a process that trains needs it

    path = os.path.join(log_dir, records or f"records-seed{seed}.jsonl")

    class EcotoneProbeLogCallback(TrainerCallback):
        def __init__(self) -> None:
            self.writer = epl.RecordWriter(path)
            self.done: set[int] = set()

        def score(self, step: int, model: Any, tokenizer: Any) -> None:
            if step in self.done or model is None or tokenizer is None:
                return
            self.done.add(step)
            was_training = model.training
            model.eval()
            try:
                for env in environments:
                    prompts = [prompt(env.get("cue", ""), p.get("text", p["id"])) for p in probes]
                    for p, lp in zip(probes, score_options(model, tokenizer, prompts, options, batch_size)):
                        self.writer.write(seed=seed, step=step + step_offset, probe=p["id"], cue=env["name"], logprobs=lp)
                self.writer.flush()  # a followed log shows this checkpoint now
            finally:
                model.train(was_training)

        def on_train_begin(self, args, state, control, model=None, **kw):  # noqa: ANN001
            if at_start and state.global_step == 0 and state.is_world_process_zero:
                self.score(0, model, kw.get("processing_class") or kw.get("tokenizer"))

        def on_save(self, args, state, control, model=None, **kw):  # noqa: ANN001
            if not state.is_world_process_zero:
                return
            self.score(state.global_step, model, kw.get("processing_class") or kw.get("tokenizer"))
            state.save_to_json(os.path.join(log_dir, f"trainer_state-seed{seed}.json"))

        def on_train_end(self, args, state, control, **kw):  # noqa: ANN001
            self.writer.flush()

    return EcotoneProbeLogCallback()
