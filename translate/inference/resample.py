"""Resizing very large images a strip at a time, so a 120-megapixel photo is never held as floats.

PyTorch's resizing (`F.interpolate`, bicubic with or without antialiasing, and "area") is linear and
separable: a resized image is R @ X @ C for one matrix per axis. The matrices are read off the resizer's
own response to unit impulses, so the result is PyTorch's, only summed in another order (float rounding
apart), and the product is taken over strips of rows of X, each converted from uint8 on its own: the whole
float image (4 bytes per channel and pixel) never exists.
"""

from __future__ import annotations

import torch
from torch import Tensor

STRIP_PIXELS = 1 << 22  # pixels per strip: 48 MB of float32 RGB at a time
_IMPULSES = 1 << 23  # elements per batch of impulses when a matrix is read off (32 MB)


def as_float(x: Tensor) -> Tensor:
    """uint8 0-255 pixels -> float in [-1, 1] (data.transforms.to_tensor); a float tensor (already in [-1, 1])
    as it is."""
    from translate.data.transforms import to_tensor

    return to_tensor(x) if x.dtype == torch.uint8 else x


def resize_matrix(n: int, size: int, mode: str = "bicubic", antialias: bool = False) -> Tensor:
    """(size, n): `F.interpolate` of a length-n signal to `size` samples (align_corners False) as a matrix.

    The columns are the responses to the n unit impulses, computed a batch of impulses at a time: a
    10,950-pixel side shrunk to 2,048 needs its 90 MB matrix, not the 480 MB identity it would be read from."""
    import torch.nn.functional as F

    kw = {} if mode == "area" else {"align_corners": False, "antialias": antialias}
    cols = []
    per_batch = max(1, _IMPULSES // max(n, size))
    for start in range(0, n, per_batch):
        k = min(per_batch, n - start)
        # along the last axis: PyTorch's antialiased bicubic takes another kernel for a (n, 1) input's rows
        impulses = torch.zeros(k, 1, 1, n)
        impulses[torch.arange(k), 0, 0, start + torch.arange(k)] = 1.0
        cols.append(F.interpolate(impulses, size=(1, size), mode=mode, **kw).view(k, size))
    return torch.cat(cols).T.contiguous()


def resize(x: Tensor, size: tuple[int, int], mode: str = "bicubic", antialias: bool = False) -> Tensor:
    """(N, C, H, W) uint8 or float in [-1, 1] -> float (N, C, *size) in [-1, 1], as `F.interpolate(as_float(x),
    size, mode, antialias=antialias)` gives it, with no float copy of x: the rows of x are read in strips."""
    h, w = x.shape[-2:]
    rows = resize_matrix(h, size[0], mode, antialias).to(x.device)
    cols = resize_matrix(w, size[1], mode, antialias).T.to(x.device)
    out = torch.zeros(*x.shape[:-2], *size, device=x.device)
    step = max(1, STRIP_PIXELS // w)
    for r in range(0, h, step):
        out += rows[:, r:r + step] @ (as_float(x[..., r:r + step, :]) @ cols)
    return out
