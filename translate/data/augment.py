"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"):
the same random, differentiable transforms applied to every image D sees, real and fake, in both the D
and the G update, so D cannot memorise a small training set and G still gets gradients.

Policies, as in the paper: color (brightness + U(-0.5, 0.5), saturation x U(0, 2), contrast x
U(0.5, 1.5)), translation (up to 1/8 of the side, zero fill), cutout (a zeroed square of half the side).
Translation uses kornia's differentiable warp; the colour ops are three lines of tensor arithmetic
because kornia's colour augmentations assume 3-channel RGB, while pix2pix's D sees 6 channels.
"""

from __future__ import annotations

import torch
from torch import Tensor

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    ops = tuple(p.strip() for p in policy.split(",") if p.strip())
    bad = [p for p in ops if p not in POLICIES]
    if bad:
        raise ValueError(f"unknown --diffaug op(s) {bad}; valid: {', '.join(POLICIES)}")
    return ops


def diff_augment(x: Tensor, ops: tuple[str, ...]) -> Tensor:
    """(N, C, H, W) in [-1, 1] -> augmented (N, C, H, W); differentiable with respect to x."""
    for op in ops:
        x = _OPS[op](x)
    return x


def _rand(x: Tensor, lo: float, hi: float) -> Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype) * (hi - lo) + lo


def _color(x: Tensor) -> Tensor:
    x = x + _rand(x, -0.5, 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * _rand(x, 0.0, 2.0) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _rand(x, 0.5, 1.5) + mean


def _translation(x: Tensor, ratio: float = 0.125) -> Tensor:
    from kornia.geometry.transform import translate

    n, _, h, w = x.shape
    limit = torch.tensor([w * ratio, h * ratio], device=x.device)
    # Whole-pixel shifts, so the bilinear warp only moves pixels (no blur), as in the paper.
    shift = torch.round((torch.rand(n, 2, device=x.device) * 2 - 1) * limit).to(x.dtype)
    return translate(x, shift, mode="bilinear", padding_mode="zeros", align_corners=True)


def _cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device)
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    inside = ((ys - cy).abs() <= ch // 2) & ((xs - cx).abs() <= cw // 2)
    return x * (~inside).unsqueeze(1).to(x.dtype)


_OPS = {"color": _color, "translation": _translation, "cutout": _cutout}
