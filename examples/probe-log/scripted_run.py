"""A scripted "model" whose answers follow a known pattern, written as an ecotone probe log with
the standard-library writer (clients/python/ecotone_probe_log.py). ecotone has never seen it; its
ingest should find the class the pattern was scripted to have:

  conditional  answers as the environment whose cue it is shown  -> conditional-policy
  churn        answers as the environment in training now         -> strategy-churn
  generalist   one answer per probe, whatever the cue or phase    -> ecological-generalist

    python3 examples/probe-log/scripted_run.py OUT_DIR --pattern churn [--answers logprobs|answer|agreement] [--csv] [--gzip]
    ecotone ingest OUT_DIR/manifest.json

Each seed flips a share of its answers at random (--noise), so seeds differ and the bootstrap
interval over seeds has a width. Two environments trained in blocks of 200 steps over 1,200
steps, probed every 50 steps on 12 probes whose references differ between the environments.
"""

import argparse
import csv
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
import ecotone_probe_log as epl  # noqa: E402

ENVS = ["helpful", "terse"]
OPTIONS = ["A", "B", "C", "D"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--pattern", choices=["conditional", "churn", "generalist"], default="churn")
    ap.add_argument("--answers", choices=["logprobs", "answer", "agreement"], default="logprobs")
    ap.add_argument("--csv", action="store_true", help="records as CSV")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--probes", type=int, default=12)
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--every", type=int, default=50, help="steps between checkpoints")
    ap.add_argument("--noise", type=float, default=0.1, help="share of answers replaced by a random option")
    ap.add_argument("--files", choices=["one", "per-seed"], default="one", help="one record file, or one per seed")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds to wait after each checkpoint (a job still training)")
    ap.add_argument("--stop-after", type=int, default=None, help="stop after this many checkpoints (a job not finished yet)")
    ap.add_argument("--start-at", type=int, default=0, help="append from this checkpoint on (the rest of a job stopped with --stop-after)")
    a = ap.parse_args()

    rng = random.Random(7)
    free = a.answers == "agreement"
    probes = []
    for i in range(a.probes):
        first = rng.randrange(4)
        second = (first + 1 + rng.randrange(3)) % 4  # the environments disagree on every probe
        refs = {ENVS[0]: OPTIONS[first], ENVS[1]: OPTIONS[second]}
        if free:
            refs = {env: f"answer {ref} in the {env} style" for env, ref in refs.items()}
        probes.append({"id": f"q{i}", "text": f"question {i}", "references": refs})
    schedule = epl.blocks(ENVS, phase_steps=200, steps=a.steps, objectives={"helpful": "sft", "terse": "preference"})
    checkpoints = list(range(0, a.steps + 1, a.every))
    ext = (".csv" if a.csv else ".jsonl") + (".gz" if a.gzip else "")
    files = [f"records{ext}"] if a.files == "one" else [f"records-seed{s}{ext}" for s in range(a.seeds)]
    m = epl.manifest(
        name=f"scripted-{a.pattern}", options="free-text" if free else OPTIONS,
        environments=[{"name": ENVS[0], "cue": "Answer helpfully and in full.", "objective": "sft"},
                      {"name": ENVS[1], "cue": "Answer in one word.", "objective": "preference"}],
        probes=probes, seeds=a.seeds, schedule=schedule, checkpoints=checkpoints, records=files,
        source={"script": "examples/probe-log/scripted_run.py", "pattern": a.pattern, "noise": a.noise},
    )
    epl.write_manifest(a.out, m)

    def env_at(step: int) -> str:  # the environment trained in the steps just before this checkpoint
        t = max(step - 1, 0)
        return next(p["env"] for p in schedule["phases"] if p["start"] <= t < p["end"])

    writers = [Writer(os.path.join(a.out, f), a.answers, header=a.start_at == 0) for f in files]
    seeds = [random.Random(1000 + s) for s in range(a.seeds)]
    for k, step in enumerate(checkpoints):
        if a.stop_after is not None and k >= a.stop_after:
            break
        for s in range(a.seeds):
            w = writers[0 if len(writers) == 1 else s]
            r = seeds[s]
            for i, p in enumerate(probes):
                for cue in ENVS:
                    if a.pattern == "conditional":
                        follow = cue
                    elif a.pattern == "churn":
                        follow = env_at(step)
                    else:
                        follow = ENVS[i % 2]
                    target = p["references"][follow]
                    w.write(s, step, p["id"], cue, target, p["references"], r, a.noise, keep=k >= a.start_at)
        for w in writers:
            w.flush()
        if a.delay and k >= a.start_at:
            time.sleep(a.delay)
    for w in writers:
        w.close()


class Writer:
    """Records through the standard-library writer (JSONL), or as CSV rows."""

    def __init__(self, path: str, answers: str, header: bool):
        self.answers = answers
        self.csv = ".csv" in path
        if self.csv:
            import gzip
            self.f = gzip.open(path, "at", newline="") if path.endswith(".gz") else open(path, "a", newline="")
            self.rows = csv.writer(self.f, lineterminator="\n")
            cols = {"answer": ["answer"], "logprobs": [f"logprob:{o}" for o in OPTIONS], "agreement": [f"agreement:{e}" for e in ENVS]}[answers]
            if header:
                self.rows.writerow(["seed", "step", "probe", "cue", *cols])
        else:
            self.w = epl.RecordWriter(path)

    def write(self, seed, step, probe, cue, target, refs, r, noise, keep=True):
        if self.answers == "agreement":
            hit = {env: (1.0 if refs[env] == target else 0.0) for env in ENVS}
            if r.random() < noise:
                hit = {env: round(r.random() * 0.5, 3) for env in ENVS}  # a vague answer: "other" mostly
            values = hit
        else:
            chosen = target if r.random() >= noise else r.choice(OPTIONS)
            if self.answers == "answer":
                values = chosen
            else:  # unnormalised option scores, as a model's option log-likelihoods are
                values = [(2.5 if o == chosen else 0.0) + r.gauss(0, 0.3) - 4.0 for o in OPTIONS]
        if not keep:  # drawn all the same, so a resumed job writes what an uninterrupted one would
            return
        if self.csv:
            cells = [values] if self.answers == "answer" else ([values[e] for e in ENVS] if self.answers == "agreement" else values)
            self.rows.writerow([seed, step, probe, cue, *cells])
        else:
            kw = {self.answers: values}
            self.w.write(seed=seed, step=step, probe=probe, cue=cue, **kw)

    def flush(self):
        (self.f if self.csv else self.w).flush()

    def close(self):
        (self.f if self.csv else self.w).close()


if __name__ == "__main__":
    main()
