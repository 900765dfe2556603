"""Pixel conventions, in one place: images are uint8 HWC outside the nets and float CHW in [-1, 1]
inside. Training, sample grids and inference all go through these two functions."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def to_tensor(images: np.ndarray | Tensor) -> Tensor:
    """uint8 (H, W, C) or (N, H, W, C) or already-CHW uint8 tensors -> float in [-1, 1]."""
    t = torch.as_tensor(images)
    if t.dtype != torch.uint8:
        raise TypeError(f"expected uint8 pixels, got {t.dtype}")
    if isinstance(images, np.ndarray):  # numpy arrays are HWC by convention
        t = t.movedim(-1, -3)
    return t.float().div(127.5).sub(1.0)


def to_uint8(x: Tensor) -> Tensor:
    """float in [-1, 1] (any shape) -> uint8 in [0, 255], rounded, same layout."""
    return x.detach().float().add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)


def to_unit(x: Tensor) -> Tensor:
    """float in [-1, 1] -> float in [0, 1] (what Parzen and Inception expect)."""
    return x.float().add(1.0).mul(0.5).clamp(0, 1)
