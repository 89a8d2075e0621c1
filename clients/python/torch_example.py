"""Plain PyTorch: a small model trained under an interleaved schedule, writing an ecotone probe log.

Two environments share the content of every input and disagree on its label (B's label is A's
shifted by one class); a cue appended to the content says which environment an input comes from.
Environment A is trained by supervised learning (cross-entropy), B by a reward for the right
answer (REINFORCE on a sampled action); they alternate in blocks. At every checkpoint each seed's
model answers the same probe contents under both cues, and the log-probabilities of the options
go to the probe log. Then:

    python3 clients/python/torch_example.py out/torch-run
    ecotone ingest out/torch-run/manifest.json

With a strong cue (--cue 1) and enough width the ensemble tends to read the cue (conditional
policy); with --cue 0 it cannot, and what it does depends on the schedule.
"""

import argparse
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecotone_probe_log as epl  # noqa: E402

ENVS = ["A", "B"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--phase", type=int, default=100, help="steps per block")
    ap.add_argument("--every", type=int, default=25, help="steps between checkpoints")
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--content", type=int, default=8)
    ap.add_argument("--cue", type=float, default=1.0, help="cue strength: 0 = no information about the environment")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--probes", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.01)
    a = ap.parse_args()
    torch.set_num_threads(1)

    world = torch.Generator().manual_seed(0)
    teacher = torch.randn(a.content, a.classes, generator=world)
    prototypes = torch.randn(len(ENVS), 4, generator=world)

    def inputs(x: torch.Tensor, env: int, g: torch.Generator) -> torch.Tensor:  # content, then the cue of `env`
        cue = a.cue * prototypes[env].expand(x.shape[0], 4) + (1 - a.cue) * torch.randn(x.shape[0], 4, generator=g)
        return torch.cat([x, cue], dim=1)

    def label(x: torch.Tensor, env: int) -> torch.Tensor:
        return ((x @ teacher).argmax(1) + env) % a.classes  # B shifts A's label: they disagree everywhere

    probe_x = torch.randn(a.probes, a.content, generator=world)
    options = [chr(ord("A") + c) for c in range(a.classes)]
    probes = [{"id": f"p{i}", "references": {env: options[int(label(probe_x[i:i + 1], e))] for e, env in enumerate(ENVS)}} for i in range(a.probes)]
    schedule = epl.blocks(ENVS, a.phase, a.steps, objectives={"A": "sft", "B": "reward"})
    checkpoints = list(range(0, a.steps + 1, a.every))
    files = [f"records-seed{s}.jsonl" for s in range(a.seeds)]
    epl.write_manifest(a.out, epl.manifest(
        name="torch-example", options=options,
        environments=[{"name": "A", "objective": "sft", "cue": "prototype A"}, {"name": "B", "objective": "reward", "cue": "prototype B"}],
        probes=probes, seeds=a.seeds, schedule=schedule, checkpoints=checkpoints, records=files,
        source={"framework": f"torch {torch.__version__}", "script": "clients/python/torch_example.py", "args": vars(a)},
    ))
    probe_in = [inputs(probe_x, e, torch.Generator().manual_seed(1)) for e in range(len(ENVS))]  # the same contents and cue noise under every cue

    for s in range(a.seeds):
        torch.manual_seed(s)
        model = nn.Sequential(nn.Linear(a.content + 4, a.hidden), nn.ReLU(), nn.Linear(a.hidden, a.classes))
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
        data = torch.Generator().manual_seed(100 + s)
        with epl.RecordWriter(os.path.join(a.out, files[s])) as w:
            for step in range(a.steps + 1):
                if step in checkpoints:
                    with torch.no_grad():
                        for e, env in enumerate(ENVS):
                            lp = torch.log_softmax(model(probe_in[e]), dim=1)
                            for i in range(a.probes):
                                w.write(seed=s, step=step, probe=f"p{i}", cue=env, logprobs=lp[i].tolist())
                    w.flush()
                if step == a.steps:
                    break
                env = ENVS.index(next(p["env"] for p in schedule["phases"] if p["start"] <= step < p["end"]))
                x = torch.randn(64, a.content, generator=data)
                logits = model(inputs(x, env, data))
                y = label(x, env)
                if env == 0:  # sft
                    loss = nn.functional.cross_entropy(logits, y)
                else:  # reward: REINFORCE with the batch-mean baseline
                    dist = torch.distributions.Categorical(logits=logits)
                    act = dist.sample()
                    r = (act == y).float()
                    loss = -((r - r.mean()) * dist.log_prob(act)).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
    print(os.path.join(a.out, "manifest.json"))


if __name__ == "__main__":
    main()
