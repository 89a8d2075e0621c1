#!/usr/bin/env python3
"""The transformer reference workload in PyTorch, for `ecotone bench --model transformer --compare-torch`:
S decoder-only transformers (2 pre-LayerNorm blocks, d_model 64, 4 heads, MLP 256 with tanh-GELU,
learned positions, untied unembedding, GPT-2 init), context 32, vocabulary 32, batch 32 sequences,
Adam, next-token cross-entropy at every position: the same workload as src/bench/transformer.ts.
Trained side by side as PyTorch does it best (parameters with a leading seed axis, batched matmuls,
an index lookup for the embedding), the per-seed loss read every step as ecotone does.
With --check it computes the logits of weights given on stdin instead (test/models/transformer.test.ts
compares them with ecotone's). Prints one JSON line per (seeds, threads): {"seeds", "threads", "modelStepsPerSec", "tokensPerSec", "steps", "seconds", "cpuSeconds"}.
    /usr/bin/python3 bench/torch_transformer.py --seeds 1,16 --threads 1,2 --seconds 3
"""
import argparse, json, math, sys

from _timing import time_steps  # bench/: the script's own folder is on sys.path

import torch
import torch.nn.functional as F

L, D, H, T, V, B = 2, 64, 4, 32, 32, 32
M = 4 * D


def forward(P, x, heads):
    """Next-token logits [S, B, T, V] of the ensemble P (tensor names as ecotone's layout, [S, ...]) on token ids x [S, B, T]."""
    S, B, T = x.shape
    V, D = P["tok"].shape[1:]
    mask = torch.full((T, T), float("-inf"), dtype=P["tok"].dtype).triu(1)  # [T, T]
    seed = torch.arange(S).view(S, 1, 1)

    def ln(h, k):  # h [S, N, D]
        return F.layer_norm(h, (D,)) * P[k + ".g"] + P[k + ".b"]

    h = (P["tok"][seed, x] + P["pos"][:, :T].reshape(S, 1, T, D)).reshape(S, B * T, D)  # [S, B·T, D]
    for l in range(sum(1 for k in P if k.endswith(".qkv.w"))):
        b = lambda k: P[f"{l}.{k}"]
        qkv = torch.baddbmm(b("qkv.b"), ln(h, f"{l}.ln1"), b("qkv.w"))  # [S, B·T, 3D]
        q, k, v = qkv.view(S, B, T, 3 * heads, D // heads).transpose(2, 3).split(heads, dim=2)  # [S, B, H, T, dh]
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // heads) + mask, -1)  # [S, B, H, T, T]
        ctx = (att @ v).transpose(2, 3).reshape(S, B * T, D)  # [S, B·T, D]
        h = h + torch.baddbmm(b("out.b"), ctx, b("out.w"))
        u = F.gelu(torch.baddbmm(b("up.b"), ln(h, f"{l}.ln2"), b("up.w")), approximate="tanh")  # [S, B·T, M]
        h = h + torch.baddbmm(b("down.b"), u, b("down.w"))
    return torch.bmm(ln(h, "lnf"), P["unembed"]).view(S, B, T, V)  # [S, B, T, V]


def time_workload(S, threads, seconds):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    s, resid = 0.02, 0.02 / math.sqrt(2 * L)
    shapes = {"tok": ([V, D], s), "pos": ([T, D], s), "lnf.g": ([1, D], -1), "lnf.b": ([1, D], 0), "unembed": ([D, V], s)}
    for l in range(L):
        shapes.update({f"{l}.ln1.g": ([1, D], -1), f"{l}.ln1.b": ([1, D], 0), f"{l}.qkv.w": ([D, 3 * D], s), f"{l}.qkv.b": ([1, 3 * D], 0),
                       f"{l}.out.w": ([D, D], resid), f"{l}.out.b": ([1, D], 0), f"{l}.ln2.g": ([1, D], -1), f"{l}.ln2.b": ([1, D], 0),
                       f"{l}.up.w": ([D, M], s), f"{l}.up.b": ([1, M], 0), f"{l}.down.w": ([M, D], resid), f"{l}.down.b": ([1, D], 0)})
    P = {k: (torch.randn(S, *shape, generator=g) * std if std > 0 else torch.full((S, *shape), float(-std))).requires_grad_()
         for k, (shape, std) in shapes.items()}  # std −1: ones (LayerNorm gains), 0: zeros
    opt = torch.optim.Adam(list(P.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    x = torch.randint(0, V, (S, B, T), generator=g)
    y = torch.roll(x, -1, dims=2)  # the next token (the last position predicts the first, as ecotone's bench)

    def step():
        logp = torch.log_softmax(forward(P, x, H), -1)  # [S, B, T, V]
        per_seed = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean((1, 2))  # [S]
        opt.zero_grad(set_to_none=True)
        per_seed.sum().backward()  # seeds are independent: each gets its own gradient
        opt.step()
        return per_seed.detach().numpy()  # read every step, as ecotone reads its losses

    n, sec, cpu = time_steps(step, seconds)
    msps = n * S / sec
    return {"seeds": S, "threads": threads, "modelStepsPerSec": round(msps, 1), "tokensPerSec": round(msps * B * T),
            "steps": n, "seconds": round(sec, 3), "cpuSeconds": round(cpu, 3), "torch": torch.__version__}


def check():
    """Reads {"heads", "x": {shape, data}, "params": {name: {shape, data}}} (data flat, row-major) as JSON on
    stdin; prints the logits [S, B, T, V] (float64), flat, as JSON."""
    o = json.load(sys.stdin)
    t = lambda a, dtype: torch.tensor(a["data"], dtype=dtype).reshape(a["shape"])
    P = {k: t(v, torch.float64) for k, v in o["params"].items()}
    with torch.no_grad():
        print(json.dumps(forward(P, t(o["x"], torch.long), o["heads"]).flatten().tolist()))


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--seeds", default="1,16")
    a.add_argument("--threads", default="1,2")
    a.add_argument("--seconds", type=float, default=3.0)
    a.add_argument("--check", action="store_true", help="instead: the logits of given weights (the cross-check in test/models)")
    o = a.parse_args()
    if o.check:
        return check()
    for S in [int(s) for s in o.seeds.split(",")]:
        for t in [int(t) for t in o.threads.split(",")]:
            print(json.dumps(time_workload(S, t, o.seconds)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
