"""End-to-end speed of `translate convert` against the serial loop of the official test.py.

Every variant runs as its own process and is timed from process start to the last file written, on the
same N images (real horse2zebra test photos from ../shared/data resized to each size, else smooth
synthetic ones). Net: a ResNet-9 CycleGAN generator (ngf 64) imported through `translate
import-official` from an official-layout state dict (normal(0, 0.02) weights; speed does not depend on
the values). FLOPs come from torch's FlopCounterMode on one forward; the machine's fp32 matmul rate is
measured first so GFLOP/s can be read against it.

  python bench/convert.py                                      # 64 images at 256x256 and 512x384
  python bench/convert.py --images 16 --sizes 256x256 --variants serial default compile --rounds 3
  (stop other jobs first: on 2 cores anything else running halves the figures)

Variants:
  serial         decode -> eager NCHW forward (batch 1) -> encode, one file after another (test.py), with
                 PyTorch's default allocator (THP_MEM_ALLOC_ENABLE=0, which `import translate` otherwise sets)
  serial-thp     the same loop with transparent huge pages on, as translate runs: what the official
                 loop would gain from that setting alone
  default        translate convert (fp32; on the CPU: Winograd F(4x4,3x3) for the 3x3 convolutions)
  direct         translate convert --no-winograd (every convolution through oneDNN, as the serial loop)
  channels-last  translate convert --channels-last
  compile        translate convert --compile (torch.compile, frozen weights; cold compile cache)
Outputs are compared with the serial loop's: max abs difference in [-1, 1] units on the float outputs of
two images, and the share of uint8 pixels that differ.
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
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "horse2zebra" / "testA"
VARIANTS = {"serial": None, "serial-thp": None, "default": [], "direct": ["--no-winograd"],
            "channels-last": ["--channels-last"], "compile": ["--compile"]}


def serial_loop(checkpoint: str, inp: str, out: str) -> None:
    """What the official test.py does per image, without its 256x256 squash: read, normalise, one eager
    forward, denormalise, write. The reference for both speed and pixels."""
    import numpy as np
    import torch
    from PIL import Image

    from translate.inference import ImageTranslator

    G = ImageTranslator.from_pretrained(checkpoint, device="cpu", winograd=False, narrow_channels_last=False).G
    for path in sorted(Path(inp).glob("*.png")):
        img = np.asarray(Image.open(path).convert("RGB"))
        x = torch.from_numpy(img.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1
        with torch.no_grad():
            y = G(x)[0]
        pixels = ((y.permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
        Image.fromarray(pixels).save(Path(out) / path.name)


def matmul_gflops() -> float:
    import torch

    best = 0.0
    for n in (2048, 4096):
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        for _ in range(3):
            t = time.perf_counter()
            a @ b
            best = max(best, 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return best


def make_checkpoint(work: Path) -> Path:
    import torch

    from translate.nets.layers import init_weights
    from translate.nets.resnet import ResnetGenerator

    torch.manual_seed(0)
    pth = work / "latest_net_G_A.pth"
    torch.save(init_weights(ResnetGenerator(ngf=64, n_blocks=9)).state_dict(), pth)
    out = work / "resnet9"
    subprocess.run([sys.executable, "-m", "translate", "import-official", str(pth), "--model", "cyclegan",
                    "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


def make_images(folder: Path, n: int, w: int, h: int) -> None:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    photos = sorted(SHARED.glob("*.jpg"))[:n] if SHARED.is_dir() else []
    rng = np.random.default_rng(0)
    for i in range(n):
        if photos:
            img = Image.open(photos[i % len(photos)]).convert("RGB").resize((w, h), Image.BICUBIC)
        else:
            small = rng.integers(0, 255, (h // 16, w // 16, 3), dtype=np.uint8)
            img = Image.fromarray(small).resize((w, h), Image.BICUBIC)
        img.save(folder / f"{i:04d}.png")


def forward_gflop(checkpoint: Path, w: int, h: int) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from translate.inference import ImageTranslator

    # the direct FLOPs
    G = ImageTranslator.from_pretrained(checkpoint, device="cpu", winograd=False, narrow_channels_last=False).G
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        G(torch.zeros(1, 3, h, w))
    return counter.get_total_flops() / 1e9


def float_diff(checkpoint: Path, folder: Path, flags: list[str]) -> float:
    """Max abs difference between the variant's float output and the eager NCHW output, two images."""
    import numpy as np
    import torch
    from PIL import Image

    from translate.inference import ImageTranslator

    plain = ImageTranslator.from_pretrained(checkpoint, device="cpu", winograd=False, narrow_channels_last=False)
    fast = ImageTranslator.from_pretrained(checkpoint, device="cpu", channels_last="--channels-last" in flags,
                                           compile="--compile" in flags, winograd=False if "--no-winograd" in flags
                                           else None)
    worst = 0.0
    for path in sorted(folder.glob("*.png"))[:2]:
        x = torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy()).permute(2, 0, 1)[None] / 127.5 - 1
        with torch.no_grad():
            want = plain.G(x)
        worst = max(worst, (fast.translate_tensor(x) - want).abs().max().item())
    return worst


def pixel_mismatch(a: Path, b: Path) -> float:
    import numpy as np
    from PIL import Image

    differ = total = 0
    for p in sorted(a.glob("*.png")):
        x, y = np.asarray(Image.open(p)), np.asarray(Image.open(b / p.name))
        differ += int((x != y).sum())
        total += x.size
    return differ / total


def timed(cmd: list[str], thp: str | None = None) -> float:
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": tempfile.mkdtemp(prefix="inductor-")}  # a cold cache
    if thp is not None:
        env["THP_MEM_ALLOC_ENABLE"] = thp
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=int, default=64)
    p.add_argument("--sizes", nargs="+", default=["256x256", "512x384"], help="WxH")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--checkpoint", help="a translator checkpoint (default: a ResNet-9 made here)")
    p.add_argument("--rounds", type=int, default=2, help="each variant's best of this many turns (default 2)")
    p.add_argument("--serial-loop", nargs=3, metavar=("CKPT", "IN", "OUT"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.serial_loop:
        return serial_loop(*a.serial_loop)
    import torch

    work = Path(tempfile.mkdtemp(prefix="bench-convert-"))
    try:
        ckpt = Path(a.checkpoint) if a.checkpoint else make_checkpoint(work)
        peak = matmul_gflops()
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fp32 matmul peak {peak:.0f} GFLOP/s, "
              f"{a.images} images, data: {'horse2zebra testA' if SHARED.is_dir() else 'synthetic'}")
        print("| size | variant | wall s | images/s | speed-up | GFLOP/s | % of matmul | max abs diff | uint8 differ |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for size in a.sizes:
            w, h = (int(v) for v in size.split("x"))
            src = work / f"in-{size}"
            make_images(src, a.images, w, h)
            gflop = forward_gflop(ckpt, w, h) * a.images
            # Variants take turns, `--rounds` times, and each keeps its fastest round: this shared host's
            # speed drifts by 10-30% over minutes, which one pass in a fixed order reads as a difference.
            secs: dict[str, float] = {}
            for _ in range(a.rounds):
                for name in a.variants:
                    out = work / f"out-{size}-{name}"
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir()
                    if VARIANTS[name] is None:
                        cmd = [sys.executable, __file__, "--serial-loop", str(ckpt), str(src), str(out)]
                    else:
                        cmd = [sys.executable, "-m", "translate", "convert", "-c", str(ckpt), "-i", str(src),
                               "-o", str(out), *VARIANTS[name]]
                    thp = {"serial": "0", "serial-thp": "1"}.get(name)
                    secs[name] = min(secs.get(name, float("inf")), timed(cmd, thp))
            base = a.variants[0]
            for name in a.variants:
                s, out = secs[name], work / f"out-{size}-{name}"
                diff = 0.0 if VARIANTS[name] is None else float_diff(ckpt, src, VARIANTS[name])
                print(f"| {size} | {name} | {s:.1f} | {a.images / s:.2f} | {secs[base] / s:.2f}x | "
                      f"{gflop / s:.0f} | {100 * gflop / s / peak:.0f}% | {diff:.1e} | "
                      f"{100 * pixel_mismatch(work / f'out-{size}-{base}', out):.3f}% |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
