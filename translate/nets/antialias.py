"""Anti-aliased resampling (Zhang 2019, "Making Convolutional Networks Shift-Invariant Again"), as the
official CUT code uses it in its ResNet generator and PatchGAN (Park et al. 2020): blur, then subsample; and
the transposed form for upsampling.

Written here rather than taken from kornia: kornia's blur-pool pads with zeros, the official layers pad by
reflection (down) and replication (up), and official weights must give the official pixels. The filters
are registered buffers named `filt`, as in the official modules, so official state dicts load strictly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_BINOMIAL = {3: [1.0, 2.0, 1.0], 4: [1.0, 3.0, 3.0, 1.0]}


def _filter(size: int, channels: int) -> Tensor:
    a = torch.tensor(_BINOMIAL[size])
    f = a[:, None] * a[None, :]
    return (f / f.sum())[None, None].repeat(channels, 1, 1, 1)


def binomial_blur(x: Tensor, stride: int = 1, filt: Tensor | None = None) -> Tensor:
    """Reflect-pad 1 and the 3x3 binomial filter, per channel (`filt`: that filter, already made for x's
    channels); stride 2 is Downsample's blur-pool, stride 1 a plain blur that removes a 2 px checker entirely."""
    filt = _filter(3, x.shape[1]).to(x) if filt is None else filt
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), filt, stride=stride, groups=x.shape[1])


class Downsample(nn.Module):
    """(N, C, H, W) -> (N, C, ceil(H/2), ceil(W/2)): reflect-pad 1, 3x3 binomial blur, stride 2."""

    def __init__(self, channels: int):
        super().__init__()
        self.register_buffer("filt", _filter(3, channels))

    def forward(self, x: Tensor) -> Tensor:
        return binomial_blur(x, 2, self.filt)


class Upsample(nn.Module):
    """(N, C, H, W) -> (N, C, 2H, 2W): replicate-pad 1, transposed 4x4 binomial filter (x4 gain), stride 2."""

    def __init__(self, channels: int):
        super().__init__()
        self.register_buffer("filt", _filter(4, channels) * 4)

    def forward(self, x: Tensor) -> Tensor:
        y = F.conv_transpose2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), self.filt, stride=2, padding=2,
                               groups=x.shape[1])
        return y[:, :, 1:-1, 1:-1]
