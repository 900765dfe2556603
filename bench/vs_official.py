"""Ours against the official pytorch-CycleGAN-and-pix2pix code, both at their defaults, in one run on this
machine: CycleGAN training seconds per iteration at 128 px and converting photos at 256 px, whole processes.
Also ours in fp32 and at the default precision (`auto`), so the bf16 gain reads beside the ratios.

  ../shared/tools/official_checkout.sh GIT_DIR /tmp/official   # the official code, exported (needs `dominate`)
  python bench/vs_official.py --official /tmp/official --data ../shared/data/horse2zebra
  (stop other jobs first: on 2 cores anything else running halves the figures)

Training: CycleGAN, ResNet-9 ngf 64, batch 1, load 143 -> crop 128, both processes on the same photos.
Seconds per iteration = (wall of a run of `--long` steps - wall of a run of `--short` steps) / the
difference: start-up, data loading and the first slow steps cancel out. Official:
`train.py --model cycle_gan --gpu_ids -1 --num_threads 0 --display_id -1 --no_html --load_size 143
--crop_size 128 --max_dataset_size N --n_epochs 1 --n_epochs_decay 0` (its epoch is N iterations).
Ours: `translate train --model cyclegan --netG resnet_9blocks --load-size 143 --crop-size 128 --steps N`.

Converting: `--photos` test photos resized to 256x256 PNGs, a ResNet-9 CycleGAN generator with the same
weights for both (an official-layout state dict, imported into a bundle for ours). Official: `test.py
--model test --dataset_mode single --no_dropout --preprocess none --gpu_ids -1 --num_threads 0`
(--num_threads 0 reads in the main process, as ours); ours: `translate convert -c BUNDLE -i DIR -o OUT`.
Each side runs `--rounds` times, alternating, and keeps its best wall time (process start to exit).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_line() -> str:
    sys.path.insert(0, str(ROOT))
    import torch

    from translate.accel.autotune import cpu_bf16_flags
    from translate.device import cpu_model

    flags = ", ".join(cpu_bf16_flags()) or "none"
    return f"CPU: {cpu_model()}; bf16 flags: {flags}; {torch.get_num_threads()} threads; torch {torch.__version__}"


def wall(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return took


def training_data(src: Path, work: Path, n: int) -> Path:
    """An unpaired folder (trainA, trainB) of the first `n` photos of each side, for both codes."""
    root = work / "train-data"
    for side in ("A", "B"):
        (root / f"train{side}").mkdir(parents=True, exist_ok=True)
        for p in sorted((src / f"train{side}").glob("*.jpg"))[:n]:
            shutil.copy(p, root / f"train{side}" / p.name)
    return root


def official_train(official: Path, data: Path, steps: int, out: Path) -> list[str]:
    return [sys.executable, "train.py", "--dataroot", str(data), "--name", "bench", "--model", "cycle_gan",
            "--checkpoints_dir", str(out), "--gpu_ids", "-1", "--num_threads", "0", "--display_id", "-1",
            "--no_html", "--load_size", "143", "--crop_size", "128", "--max_dataset_size", str(steps),
            "--n_epochs", "1", "--n_epochs_decay", "0", "--print_freq", "1000000", "--save_epoch_freq", "1000"]


def our_train(data: Path, steps: int, out: Path, precision: str) -> list[str]:
    return [sys.executable, "-m", "translate", "train", "--model", "cyclegan", "--data", str(data),
            "--netG", "resnet_9blocks", "--load-size", "143", "--crop-size", "128", "--steps", str(steps),
            "--out", str(out), "--precision", precision, "--sample-every", "100000",
            "--checkpoint-every", "100000"]


def per_iteration(run, short: int, long: int, rounds: int) -> float:
    """Best-of-rounds seconds per iteration from the difference of two run lengths."""
    best_short = min(run(short) for _ in range(rounds))
    best_long = min(run(long) for _ in range(rounds))
    return (best_long - best_short) / (long - short)


def bench_training(a, work: Path) -> None:
    data = training_data(a.data, work, a.long)
    counter = iter(range(10**6))

    def fresh() -> Path:
        return work / f"run-{next(counter)}"

    results = {}
    results["official"] = per_iteration(
        lambda n: wall(official_train(a.official, data, n, fresh()), cwd=a.official), a.short, a.long, a.rounds)
    for precision in ("fp32", "auto"):
        results[f"ours {precision}"] = per_iteration(
            lambda n, p=precision: wall(our_train(data, n, fresh(), p)), a.short, a.long, a.rounds)
    print("\n| CycleGAN training, 128 px, ResNet-9, batch 1 | s/iteration | / official |")
    print("| --- | --- | --- |")
    for name, s in results.items():
        print(f"| {name} | {s:.2f} | {s / results['official']:.2f}x |")


def bench_convert(a, work: Path) -> None:
    import torch
    from PIL import Image

    sys.path.insert(0, str(ROOT))
    from translate.nets.layers import init_weights
    from translate.nets.resnet import ResnetGenerator

    photos = work / "photos"
    photos.mkdir()
    for i, p in enumerate(sorted((a.data / "testA").glob("*.jpg"))[:a.photos]):
        Image.open(p).convert("RGB").resize((256, 256), Image.BICUBIC).save(photos / f"{i:04d}.png")
    n = len(list(photos.iterdir()))
    torch.manual_seed(0)
    ckpts = work / "official-checkpoints" / "bench"
    ckpts.mkdir(parents=True)
    torch.save(init_weights(ResnetGenerator(ngf=64, n_blocks=9)).state_dict(), ckpts / "latest_net_G.pth")
    bundle = work / "bundle"
    wall([sys.executable, "-m", "translate", "import-official", str(ckpts / "latest_net_G.pth"), "--model",
          "cyclegan", "--out", str(bundle)])
    counter = iter(range(10**6))
    runs = {
        "official": lambda: wall([sys.executable, "test.py", "--dataroot", str(photos), "--name", "bench",
                                  "--checkpoints_dir", str(ckpts.parent), "--results_dir",
                                  str(work / f"official-{next(counter)}"), "--model", "test", "--dataset_mode",
                                  "single", "--no_dropout", "--preprocess", "none", "--gpu_ids", "-1",
                                  "--num_threads", "0", "--num_test", str(n)], cwd=a.official),
        "ours fp32": lambda: wall([sys.executable, "-m", "translate", "convert", "-c", str(bundle), "-i",
                                   str(photos), "-o", str(work / f"ours-{next(counter)}"), "--precision", "fp32"]),
        "ours auto": lambda: wall([sys.executable, "-m", "translate", "convert", "-c", str(bundle), "-i",
                                   str(photos), "-o", str(work / f"ours-{next(counter)}")]),
    }
    runs["ours auto"]()  # the precision measurement happens once per machine; this run makes it
    best = {name: float("inf") for name in runs}
    for _ in range(a.rounds):
        for name, run in runs.items():
            best[name] = min(best[name], run())
    print(f"\n| converting {n} photos of 256x256, ResNet-9, whole process | seconds | official / ours |")
    print("| --- | --- | --- |")
    for name, s in best.items():
        print(f"| {name} | {s:.1f} | {best['official'] / s:.2f}x |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--official", type=Path, required=True, help="the exported official code")
    p.add_argument("--data", type=Path, required=True, help="a CycleGAN data folder (trainA, trainB, testA)")
    p.add_argument("--short", type=int, default=4, help="steps of the short training runs")
    p.add_argument("--long", type=int, default=12, help="steps of the long training runs")
    p.add_argument("--photos", type=int, default=32)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--only", choices=("train", "convert"))
    a = p.parse_args()
    print(cpu_line(), flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-official-"))
    try:
        if a.only != "convert":
            bench_training(a, work)
        if a.only != "train":
            bench_convert(a, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
