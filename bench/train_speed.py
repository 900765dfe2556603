"""Seconds per training iteration and peak memory of CycleGAN / pix2pix with the published nets.

Each configuration runs in a fresh process (so peak RSS is its own) through the real Trainer: one
"iteration" is one step of the loop (CycleGAN: G update on both directions + both D updates; pix2pix:
D then G on one pair), batch 1, fp32, the official data pipeline (load 286 -> crop 256, or the
128 px equivalent). The first `--warmup` steps are not timed. Data: ../shared/data when present,
else random images. Also prints the measured fp32 matmul rate so the GFLOP/s can be put in context.

  python bench/train_speed.py                                   # CycleGAN 128 + 256, pix2pix 256
  python bench/train_speed.py --configs cyclegan:128 --variants batched separate --steps 6
  python bench/train_speed.py --device cuda --variants batched fast --steps 20 --warmup 5
  (stop other jobs first: on 2 cores anything else running halves the figures)

Variants: batched (the default: InstanceNorm passes of one net share a call; on the CPU in fp32 the
256-channel 3x3 layers run Winograd, `--winograd auto`), direct (the same with `--winograd off`: every
convolution through oneDNN, as the official code), separate (the official pass structure: six generator
calls), channels-last, compile, bf16 (autocast), fp16 (autocast + GradScaler), fast (bf16 +
channels-last + compile: the GPU fast path). GFLOP/s = the FLOPs of one iteration as direct convolution
computes them (counted with torch.utils.flop_counter on an eager warm-up step without Winograd:
convolutions and matmuls, forward and backward; list `direct` first so that Winograd variants reuse its
count) / s per iteration, set against the measured matmul peak of the device.

  python bench/train_speed.py --configs cyclegan:128 cyclegan:256 --variants direct batched --steps 3

The children import translate, which turns on transparent huge pages for PyTorch's big CPU buffers;
`THP_MEM_ALLOC_ENABLE=0 python bench/train_speed.py ...` measures without them (the official code's
setting).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
# Official implementation on this kind of machine (batch 1, ResNet-9 / U-Net-256, fp32, 2 threads), from
# the issue: s/iter and peak RSS in GB.
OFFICIAL = {"cyclegan:128": (4.2, 1.9), "cyclegan:256": (12.2, 4.1), "pix2pix:256": (1.1, None)}


VARIANTS = {  # TrainConfig overrides on top of the model's defaults
    "batched": {}, "separate": {}, "direct": {"winograd": "off"}, "channels-last": {"channels_last": True},
    "compile": {"compile": True},
    "bf16": {"precision": "bf16"}, "fp16": {"precision": "fp16"},
    "fast": {"precision": "bf16", "channels_last": True, "compile": True},
}


def matmul_gflops(device: str = "cpu", n: int = 2048, reps: int = 10, dtype=None) -> float:
    import torch

    dtype = dtype or torch.float32
    if device == "cuda":
        n, reps = 8192, 20
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    _sync(device)
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def _fake_data(kind: str, folder: Path) -> Path:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    if kind == "unpaired":
        for d in ("trainA", "trainB"):
            (folder / d).mkdir(parents=True)
            for i in range(8):
                Image.fromarray(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(folder / d / f"{i}.jpg")
    else:
        (folder / "train").mkdir(parents=True)
        for i in range(8):
            Image.fromarray(rng.integers(0, 255, (256, 512, 3), dtype=np.uint8)).save(folder / "train" / f"{i}.jpg")
    return folder


def child(model: str, size: int, variant: str, steps: int, warmup: int, device: str) -> dict:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from translate.config import DataConfig, RunConfig, TrainConfig
    from translate.options import build
    from translate.registry import model_config
    from translate.training.trainer import Trainer

    tmp = Path(tempfile.mkdtemp())
    kind = "unpaired" if model == "cyclegan" else "paired"
    real = SHARED / ("horse2zebra" if model == "cyclegan" else "facades")
    data = real if real.is_dir() else _fake_data(kind, tmp / "data")
    mcls = model_config(model)
    net_g = {"cyclegan": "resnet_9blocks", "pix2pix": f"unet_{size}"}[model]
    cfg = RunConfig(model, build(TrainConfig, mcls.TRAIN_DEFAULTS, {
        "epochs": 0, "steps": warmup + steps, "sample_every": 10 ** 6, "checkpoint_every": 10 ** 6,
        "log_every": 10 ** 6, "device": device, **VARIANTS[variant]}),
        build(DataConfig, {"data": str(data), "crop_size": size, "load_size": round(size * 286 / 256),
                           "direction": "BtoA" if model == "pix2pix" else "AtoB"}),
        build(mcls, {"netG": net_g}))
    tr = Trainer(cfg, tmp / "run", quiet=True)
    if variant == "separate":
        tr.model.batched = False
    times = []
    flops = [0]
    step_fn = tr._update
    # the counter does not see inside compiled graphs, and Winograd layers do fewer multiplications than
    # the convolutions they compute: those variants reuse the direct count
    count_flops = "compile" not in VARIANTS[variant] and not tr.winograd_layers

    def timed_update(role, fn, *a, **k):
        if tr.step == 0 and count_flops:  # step 0 is never timed: count its FLOPs instead
            with FlopCounterMode(display=False) as counter:
                out = step_fn(role, fn, *a, **k)
            flops[0] += counter.get_total_flops()
            return out
        _sync(device)
        t = time.perf_counter()
        out = step_fn(role, fn, *a, **k)
        _sync(device)
        times.append((tr.step, role, time.perf_counter() - t))
        return out

    tr._update = timed_update
    tr.grids.write = lambda *a, **k: None  # grids are not part of an iteration
    tr._write_bundle = lambda: tmp
    t0 = time.perf_counter()
    tr.fit()
    wall = time.perf_counter() - t0
    per_step: dict[int, float] = {}
    for step, _, dt in times:
        per_step[step] = per_step.get(step, 0.0) + dt
    timed = [v for s, v in per_step.items() if s >= max(warmup, 1)]
    gpu_mem = torch.cuda.max_memory_allocated() / 1e9 if device == "cuda" else None
    return {"config": f"{model}:{size}", "variant": variant, "device": device, "threads": torch.get_num_threads(),
            "s_per_iter": sum(timed) / len(timed), "s_per_iter_min": min(timed), "flops_per_iter": flops[0],
            "wall_s_incl_data": wall, "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
            "peak_gpu_gb": gpu_mem}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", nargs="+", default=["cyclegan:128", "cyclegan:256", "pix2pix:256"])
    p.add_argument("--variants", nargs="+", default=["batched", "separate"], choices=tuple(VARIANTS))
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        model, size, variant = a.child.split(":")
        print(json.dumps(child(model, int(size), variant, a.steps, a.warmup, a.device)))
        return
    import torch

    peak = matmul_gflops(a.device)
    extra = f", bf16 {matmul_gflops(a.device, dtype=torch.bfloat16):.0f}" if a.device == "cuda" else ""
    where = torch.cuda.get_device_name() if a.device == "cuda" else f"{os.cpu_count()} CPU cores"
    print(f"{where}: fp32 matmul peak {peak:.0f} GFLOP/s{extra}")
    for config in a.configs:
        model = config.split(":")[0]
        flops = 0
        for variant in a.variants:
            if model == "pix2pix" and variant == "separate":
                continue  # pix2pix has one generator pass per step either way
            out = subprocess.run([sys.executable, __file__, "--child", f"{config}:{variant}", "--steps", str(a.steps),
                                  "--warmup", str(a.warmup), "--device", a.device], capture_output=True, text=True)
            if out.returncode:
                print(f"{config:>13} {variant:>13}: failed: {out.stderr.strip().splitlines()[-1]}", flush=True)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            flops = r["flops_per_iter"] or flops  # compiled variants reuse the eager count
            ref_t, ref_m = OFFICIAL.get(config, (None, None)) if a.device == "cpu" else (None, None)
            ratio = f"  = {r['s_per_iter'] / ref_t:.2f}x official {ref_t} s" if ref_t else ""
            rate = flops / r["s_per_iter"] / 1e9 if flops else float("nan")
            mem = (f"peak GPU {r['peak_gpu_gb']:.2f} GB" if r["peak_gpu_gb"] is not None else
                   f"peak RSS {r['peak_rss_gb']:.2f} GB" + (f" (official {ref_m} GB)" if ref_m else ""))
            print(f"{config:>13} {variant:>13}: {r['s_per_iter']:.3f} s/iter (min {r['s_per_iter_min']:.3f}){ratio}; "
                  f"{flops / 1e9:.0f} GFLOP/iter, {rate:.0f} GFLOP/s = {100 * rate / peak:.0f}% of fp32 peak; {mem}",
                  flush=True)


if __name__ == "__main__":
    main()
