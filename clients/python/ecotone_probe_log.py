"""Write ecotone probe logs from any training loop (standard library only).

A probe log (docs/probe-log.md in the ecotone repository) is what ecotone needs to measure and
classify a run it never trained: a manifest (environments and their cues, probes with each
environment's reference answer, the answer options, the schedule's phases, the seeds) and
records, one per seed x step x probe x cue, with the model's answer. Then::

    ecotone ingest run/manifest.json            # a finished log
    ecotone ingest run/manifest.json --follow   # a log still being written: live on the dashboard

Example::

    import ecotone_probe_log as epl

    manifest = epl.manifest(
        name="my-run",
        options=["A", "B", "C", "D"],
        environments=[{"name": "sft", "cue": "You are a tutor.", "objective": "sft"},
                      {"name": "rm", "cue": "You are a critic.", "objective": "reward"}],
        probes=[{"id": "q1", "text": "...", "references": {"sft": "A", "rm": "C"}}, ...],
        seeds=[0, 1, 2, 3],
        schedule=epl.blocks(["sft", "rm"], phase_steps=200, steps=1000),
        records=[f"records-seed{s}.jsonl" for s in range(4)],   # one file per training process
    )
    epl.write_manifest("run", manifest)
    with epl.RecordWriter("run/records-seed0.jsonl") as w:      # in the process training seed 0
        w.write(seed=0, step=200, probe="q1", cue="sft", logprobs=[-0.1, -2.5, -3.0, -4.2])
        w.flush()                                               # after each checkpoint, for --follow
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
from typing import Any, Iterable, Mapping, Sequence

FORMAT = "ecotone-probe-log/1"

__all__ = ["FORMAT", "manifest", "write_manifest", "RecordWriter", "blocks", "phases_from_sequence", "interleaved"]


def blocks(envs: Sequence[str], phase_steps: int, steps: int, objectives: Mapping[str, str] | None = None) -> dict:
    """A schedule of blocks of `phase_steps` steps cycling through `envs`, over `steps` steps."""
    seq = [envs[(t // phase_steps) % len(envs)] for t in range(steps)]
    return {"kind": "blocks", "steps": steps, "phases": phases_from_sequence(seq, objectives)}


def interleaved(pattern: Sequence[tuple[str, int]], steps: int, objectives: Mapping[str, str] | None = None) -> dict:
    """A schedule repeating `pattern`, a list of (environment, steps), e.g. [("sft", 300), ("dpo", 100)]."""
    seq: list[str] = []
    while len(seq) < steps:
        for env, n in pattern:
            seq.extend([env] * n)
    return {"kind": "interleaved", "steps": steps, "phases": phases_from_sequence(seq[:steps], objectives)}


def phases_from_sequence(envs_per_step: Iterable[str], objectives: Mapping[str, str] | None = None) -> list[dict]:
    """Contiguous phases from the environment of every step ("mixture" for a mixed batch)."""
    phases: list[dict] = []
    for t, env in enumerate(envs_per_step):
        if phases and phases[-1]["env"] == env:
            phases[-1]["end"] = t + 1
        else:
            phases.append({"env": env, "start": t, "end": t + 1})
    for p in phases:
        if objectives and p["env"] in objectives:
            p["objective"] = objectives[p["env"]]
    return phases


def manifest(*, name: str, options: Sequence[str] | str, environments: Sequence[Mapping[str, Any]], probes: Sequence[Mapping[str, Any]],
             seeds: int | Sequence[int | str], schedule: Mapping[str, Any], records: str | Sequence[str] = "records.jsonl",
             checkpoints: Sequence[int] | None = None, counterfactual: Sequence[str] | None = None, window: int = 0,
             trainer_state: str | None = None, baselines: Mapping[str, Any] | None = None, source: Mapping[str, Any] | None = None,
             description: str | None = None) -> dict:
    """A manifest as a dict, with the checks that catch most mistakes early (ecotone checks everything again)."""
    names = [e["name"] for e in environments]
    if len(set(names)) != len(names):
        raise ValueError(f"environments: duplicate names in {names}")
    free = options == "free-text"
    for p in probes:
        for env, ref in p["references"].items():
            if env not in names:
                raise ValueError(f"probe {p['id']!r}: reference for unknown environment {env!r} (have {names})")
            if not free and ref not in options:
                raise ValueError(f"probe {p['id']!r}: reference {ref!r} of {env} is not one of the options {list(options)}")
    m: dict[str, Any] = {
        "format": FORMAT, "name": name, "options": options if free else list(options),
        "environments": [dict(e) for e in environments], "probes": [dict(p) for p in probes],
        "seeds": seeds if isinstance(seeds, int) else list(seeds), "schedule": dict(schedule),
        "records": records if isinstance(records, str) else list(records),
    }
    if description is not None: m["description"] = description
    if counterfactual is not None: m["counterfactual"] = list(counterfactual)
    if checkpoints is not None: m["checkpoints"] = list(checkpoints)
    if window: m["window"] = window
    if trainer_state is not None: m["trainerState"] = trainer_state
    if baselines is not None: m["baselines"] = dict(baselines)
    if source is not None: m["source"] = dict(source)
    return m


def write_manifest(directory: str, m: Mapping[str, Any], filename: str = "manifest.json") -> str:
    """Writes the manifest into `directory` (created if needed), atomically; returns its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, filename)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(m, f, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)
    return path


class RecordWriter:
    """Appends records to one JSONL file (gzipped when the name ends in .gz). One writer per process;
    several processes write several files, all listed in the manifest's `records`."""

    def __init__(self, path: str, flush_every: int = 0):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self.flush_every = flush_every  # lines between flushes; 0 = only when flush() is called
        self._pending = 0
        if path.endswith(".gz"):
            self._raw = open(path, "ab")
            self._gz = gzip.GzipFile(fileobj=self._raw, mode="ab")
            self._f: Any = io.TextIOWrapper(self._gz, encoding="utf-8", newline="\n")
        else:
            self._raw, self._gz = None, None
            self._f = open(path, "a", encoding="utf-8", newline="\n")

    def write(self, *, seed: int | str, step: int, probe: str, cue: str, answer: str | int | None = None,
              logprobs: Sequence[float] | Mapping[str, float] | None = None, agreement: Mapping[str, float] | None = None) -> None:
        """One record: the model's answer to `probe` under environment `cue`'s cue, for `seed` after `step` steps.
        Give exactly one of: answer (the chosen option), logprobs (one per option, -inf allowed), agreement
        (free-text logs: environment -> agreement in [0, 1] with its reference)."""
        given = [k for k, v in (("answer", answer), ("logprobs", logprobs), ("agreement", agreement)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of answer, logprobs, agreement (got {given or 'none'})")
        rec: dict[str, Any] = {"seed": seed, "step": int(step), "probe": probe, "cue": cue}
        if answer is not None:
            rec["answer"] = answer
        elif logprobs is not None:
            rec["logprobs"] = {k: _lp(v) for k, v in logprobs.items()} if isinstance(logprobs, Mapping) else [_lp(v) for v in logprobs]
        else:
            rec["agreement"] = {k: float(v) for k, v in agreement.items()}  # type: ignore[union-attr]
        self._f.write(json.dumps(rec, allow_nan=False, separators=(",", ":")) + "\n")
        self._pending += 1
        if self.flush_every and self._pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Makes every record written so far readable (call it after each checkpoint when ecotone follows the log)."""
        self._f.flush()
        if self._gz is not None:
            self._gz.flush()  # ends a deflate block: a follower can decode up to here
            self._raw.flush()
        self._pending = 0

    def close(self) -> None:
        self.flush()
        self._f.close()
        if self._raw is not None:
            self._raw.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lp(v: float) -> float | None:
    v = float(v)
    if math.isnan(v) or v == math.inf:
        raise ValueError(f"log-probability {v} is not a number or +inf")
    return None if v == -math.inf else v
