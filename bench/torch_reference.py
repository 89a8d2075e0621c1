#!/usr/bin/env python3
"""The reference workload in PyTorch, for `ecotone bench --compare-torch`: S MLPs 32→128→128→8,
batch 64, Adam, cross-entropy, trained side by side as PyTorch does it best (parameters with a
leading seed axis, one batched matmul per layer), the per-seed loss read every step as ecotone does.
Prints one JSON line per (seeds, threads): {"seeds", "threads", "modelStepsPerSec", "steps", "seconds", "cpuSeconds"}.
    python3 bench/torch_reference.py --seeds 1,16,128 --threads 1,2 --seconds 3
"""
import argparse, json, sys

from _timing import time_steps  # bench/: the script's own folder is on sys.path

import torch

D, H, C, B = 32, [128, 128], 8, 64


def time_workload(S, threads, seconds):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    dims = [D] + H + [C]
    params = []
    for i, o in zip(dims[:-1], dims[1:]):
        params.append(torch.randn(S, i, o, generator=g).mul_((2.0 / i) ** 0.5).requires_grad_())
        params.append(torch.zeros(S, 1, o, requires_grad=True))
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    x = torch.randn(S, B, D, generator=g)
    y = torch.randint(0, C, (S, B), generator=g)

    def step():
        h = x
        for l in range(0, len(params) - 2, 2):
            h = torch.relu(torch.baddbmm(params[l + 1], h, params[l]))
        logits = torch.baddbmm(params[-1], h, params[-2])  # [S, B, C]
        logp = torch.log_softmax(logits, -1)
        per_example = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1)  # [S, B]
        opt.zero_grad(set_to_none=True)
        per_example.mean(1).sum().backward()  # seeds are independent: each gets its own gradient
        opt.step()
        return per_example.detach().numpy()  # read every step, as ecotone reads its losses

    n, sec, cpu = time_steps(step, seconds)
    return {"seeds": S, "threads": threads, "modelStepsPerSec": round(n * S / sec, 1), "steps": n, "seconds": round(sec, 3), "cpuSeconds": round(cpu, 3), "torch": torch.__version__}


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--seeds", default="1,16,128")
    a.add_argument("--threads", default="1,2")
    a.add_argument("--seconds", type=float, default=3.0)
    o = a.parse_args()
    for S in [int(s) for s in o.seeds.split(",")]:
        for t in [int(t) for t in o.threads.split(",")]:
            print(json.dumps(time_workload(S, t, o.seconds)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
