"""The pix2pix U-Net generator (Isola et al. 2017, section 3.2.1 and appendix 6.1.1).

`num_downs` stride-2 stages (7 for 128 px, 8 for 256 px) nested as skip-connection blocks; each block
returns cat([x, block(x)]) so the decoder sees the encoder's features. The module tree reproduces the
official `UnetGenerator` / `UnetSkipConnectionBlock` (`model.model.1.model.3...`), so official state
dicts load with strict=True. Activations are out of place: the official in-place LeakyReLU also
rewrites the skip tensor, but the parent applies ReLU to the concatenation first and
ReLU(LeakyReLU(x)) = ReLU(x), so the outputs are identical (the reference measures a 0.0 difference).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from translate.nets.layers import conv_bias, norm_layer


class UnetBlock(nn.Module):
    """One level: down (LeakyReLU 0.2, conv4x4 s2, norm), the inner levels, up (ReLU, convT4x4 s2, norm,
    dropout 0.5 where asked). The outermost level has no down activation/norm and ends in Tanh; the
    innermost has no down norm and no inner levels."""

    def __init__(self, outer: int, inner: int, in_channels: int | None = None, sub: nn.Module | None = None,
                 outermost: bool = False, innermost: bool = False, norm: str = "batch",
                 dropout: bool = False):
        super().__init__()
        self.outermost = outermost
        bias = conv_bias(norm)
        in_channels = outer if in_channels is None else in_channels
        down = nn.Conv2d(in_channels, inner, 4, stride=2, padding=1, bias=bias)
        if outermost:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, stride=2, padding=1)
            layers = [down, sub, nn.ReLU(), up, nn.Tanh()]
        elif innermost:
            up = nn.ConvTranspose2d(inner, outer, 4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2), down, nn.ReLU(), up, norm_layer(norm, outer)]
        else:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2), down, norm_layer(norm, inner), sub, nn.ReLU(), up,
                      norm_layer(norm, outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """(N, in_channels, S, S) in [-1, 1] -> (N, out_channels, S, S) in [-1, 1]; S a multiple of
    2**num_downs (256 for unet_256). Dropout(0.5) sits in the num_downs - 5 innermost-but-one decoder
    blocks and, as in pix2pix, stays active at test time unless the net is put in eval mode."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, num_downs: int = 8, ngf: int = 64,
                 norm: str = "batch", dropout: bool = True):
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"a U-Net needs at least 5 downsamplings, got num_downs={num_downs}")
        self.multiple = 2 ** num_downs
        block = UnetBlock(ngf * 8, ngf * 8, innermost=True, norm=norm)
        for _ in range(num_downs - 5):
            block = UnetBlock(ngf * 8, ngf * 8, sub=block, norm=norm, dropout=dropout)
        for mult in (4, 2, 1):
            block = UnetBlock(ngf * mult, ngf * mult * 2, sub=block, norm=norm)
        self.model = UnetBlock(out_channels, ngf, in_channels=in_channels, sub=block, outermost=True, norm=norm)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)
