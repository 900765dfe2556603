"""Forward + backward time of one 3x3 convolution layer: oneDNN (F.conv2d and aten's
convolution_backward) against the Winograd training path (translate/nets/winograd.py), at the layer
shapes of ResNet generators. This is what sets MIN_TRAIN_CHANNELS.

  python bench/winograd_layers.py            (stop other jobs first; best of --repeat after a warm-up)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from translate.accel.winograd import winograd_conv3x3_backward, winograd_conv3x3_train  # noqa: E402

# (channels, side of the layer's output): ResNet-9 ngf 64 blocks at 256 and 128 px, ngf 32 blocks
SHAPES = ((256, 64), (256, 32), (128, 64), (128, 32))


def best_ms(fn, repeat: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000


def layer(c: int, s: int, repeat: int) -> str:
    x, w = torch.randn(1, c, s + 2, s + 2), torch.randn(c, c, 3, 3) * 0.02
    gy = torch.randn(1, c, s, s)
    fwd = best_ms(lambda: F.conv2d(x, w), repeat)
    bwd = best_ms(lambda: torch.ops.aten.convolution_backward(
        gy, x, w, None, (1, 1), (0, 0), (1, 1), False, (0, 0), 1, (True, True, False)), repeat)
    wfwd = best_ms(lambda: winograd_conv3x3_train(x, w, None), repeat)
    wbwd = best_ms(lambda: winograd_conv3x3_backward(x, w, gy), repeat)
    return (f"{c} channels, {s}x{s}: oneDNN {fwd:.1f} + {bwd:.1f} ms, Winograd {wfwd:.1f} + {wbwd:.1f} ms: "
            f"{(fwd + bwd) / (wfwd + wbwd):.2f}x")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for c, s in SHAPES:
        print(layer(c, s, a.repeat), flush=True)


if __name__ == "__main__":
    main()
