"""Time of one optimizer step on the CPU: PyTorch's default per-tensor loop, `foreach` and `fused`.

The trainer builds Adam/SGD with `fused=True` on the CPU as on CUDA (translate/training/trainer.py). This
prints the time of `opt.step()` alone (gradients already in place) for the nets our models train:

  python bench/optimizer_step.py                 # 2 threads, best of 5 rounds
  python bench/optimizer_step.py --threads 1

Nets: the `gan` defaults' G (3 x 128 MLP with BatchNorm) and D (2 x 128), and a CycleGAN ResNet-6
generator with ngf 32 (the bundled 128 px models). No assertions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def nets():
    import translate.nets  # noqa: F401  (registers the nets)
    from translate.registry import NETS

    yield "gan G (MLP 3x128)", NETS.get("mlp_g")(z_dim=2, out_dim=2, hidden=128, layers=3, batchnorm=True)
    yield "gan D (MLP 2x128)", NETS.get("mlp_d")(in_dim=2, hidden=128, layers=2, maxout=1)
    yield "ResNet-6 G, ngf 32", NETS.get("resnet_g")(ngf=32, n_blocks=6)


def time_steps(opt, n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            opt.step()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"Adam(2e-4, betas 0.5/0.999) step, {a.threads} threads, best of {a.rounds} rounds")
    print(f"{'net':22s} {'params':>9s} {'default':>10s} {'foreach':>10s} {'fused':>10s}")
    for name, net in nets():
        params = list(net.parameters())
        for q in params:
            q.grad = torch.randn_like(q)
        n_params = sum(q.numel() for q in params)
        n = 200 if n_params < 1e6 else 10
        row = []
        for kw in ({"foreach": False}, {"foreach": True}, {"fused": True}):
            opt = torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999), **kw)
            opt.step()  # creates the moment buffers
            row.append(time_steps(opt, n, a.rounds))
        print(f"{name:22s} {n_params:9,d} " + " ".join(f"{t * 1e3:8.3f}ms" for t in row))


if __name__ == "__main__":
    main()
