"""Convolutions with very few output channels run channels-last on the CPU, for inference.

oneDNN's NCHW kernel is poor when a convolution has only a handful of output channels: the last layer of
a ResNet generator (7x7, 64 -> 3 channels at full resolution) costs far more of the forward pass than its
share of the FLOPs. On channels-last tensors, the two layout conversions included, it runs faster, and so do
64 -> 1 and 64 -> 8; 64 -> 32 gains nothing, and a narrow input (3 -> 64, the first layer) gets slower
(figures: docs/performance.md, `python bench/narrow_conv.py`).

Only the layer switches (a class swap: same parameters and keys): the rest of the net stays NCHW, which
the Winograd layers need.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

MAX_OUT_CHANNELS = 8  # faster at 1, 3 and 8 output channels, not at 32 (docs/performance.md)
MIN_IN_CHANNELS = 16  # a narrow input (the first layer's 3 channels) gets slower channels-last


class ChannelsLastConv2d(nn.Conv2d):
    """An nn.Conv2d that runs on channels-last copies of its input and weight and hands back NCHW."""

    def forward(self, x: Tensor) -> Tensor:
        cl = torch.channels_last
        y = self._conv_forward(x.contiguous(memory_format=cl), self.weight.contiguous(memory_format=cl),
                               self.bias)
        return y.contiguous()


def narrow(m: nn.Module) -> bool:
    return (type(m) is nn.Conv2d and m.out_channels <= MAX_OUT_CHANNELS and m.in_channels >= MIN_IN_CHANNELS
            and m.groups == 1)


def use_channels_last_narrow_convs(net: nn.Module) -> int:
    """Switch every narrow-output Conv2d of `net` to ChannelsLastConv2d in place; returns how many."""
    count = 0
    for m in net.modules():
        if narrow(m):
            m.__class__ = ChannelsLastConv2d
            count += 1
    return count
