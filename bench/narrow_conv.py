"""Convolutions with few output channels: oneDNN's NCHW kernel against channels-last (with the two
layout conversions counted), one layer at a time, forward only (inference).

The evidence behind translate/nets/narrow_conv.py: which layers of our generators run faster when only
they switch to channels-last.

  python bench/narrow_conv.py            (stop other jobs first; best of --repeat after two warm-ups)
"""

from __future__ import annotations

import argparse
import time


def best_ms(fn, repeat: int) -> float:
    fn()
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=10)
    a = p.parse_args()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    cl = torch.channels_last
    # (label, op, input shape, weight shape, kwargs): ResNet generator ends (7x7, reflect-padded input),
    # U-Net ends and a mid-width transposed conv for contrast
    layers = [(f"7x7 64->{k}, 256 px", F.conv2d, (1, 64, 262, 262), (k, 64, 7, 7), {}) for k in (1, 3, 8, 32)]
    layers += [("7x7 32->3, 128 px", F.conv2d, (1, 32, 134, 134), (3, 32, 7, 7), {}),
               ("7x7 3->64, 256 px", F.conv2d, (1, 3, 262, 262), (64, 3, 7, 7), {}),
               ("U-Net 4x4 s2 3->64, 256 px", F.conv2d, (1, 3, 256, 256), (64, 3, 4, 4),
                {"stride": 2, "padding": 1}),
               ("U-Net convT 4x4 s2 128->3", F.conv_transpose2d, (1, 128, 128, 128), (128, 3, 4, 4),
                {"stride": 2, "padding": 1}),
               ("convT 3x3 s2 128->64", F.conv_transpose2d, (1, 128, 128, 128), (128, 64, 3, 3),
                {"stride": 2, "padding": 1, "output_padding": 1})]
    print(f"{a.threads} threads, best of {a.repeat}; channels-last includes converting input and output")
    print(f"{'layer':30s} {'NCHW ms':>8s} {'NHWC ms':>8s} {'gain':>6s}")
    with torch.inference_mode():
        for label, op, xs, ws, kw in layers:
            x, w = torch.randn(xs), torch.randn(ws)
            w_cl = w.contiguous(memory_format=cl)
            nchw = best_ms(lambda op=op, x=x, w=w, kw=kw: op(x, w, **kw), a.repeat)
            nhwc = best_ms(lambda op=op, x=x, w=w_cl, kw=kw: op(x.contiguous(memory_format=cl), w, **kw).contiguous(),
                           a.repeat)
            print(f"{label:30s} {nchw:8.1f} {nhwc:8.1f} {nchw / nhwc:5.2f}x")


if __name__ == "__main__":
    main()
