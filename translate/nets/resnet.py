"""The CycleGAN ResNet generator (Johnson et al. 2016 as adapted by Zhu et al. 2017, appendix 7.2):
c7s1-ngf, two stride-2 downsamplings, n residual blocks, two transposed-conv upsamplings, c7s1-out, Tanh.

The module tree reproduces the official `ResnetGenerator` index for index (`model.1.weight`,
`model.10.conv_block.5.weight`, ...), so an official state dict loads with strict=True and nothing
needs renaming. Reflection padding in the 7x7 convs and inside the blocks; zero padding in the stride-2
convs, as in the official code.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from translate.nets.antialias import Downsample, Upsample
from translate.nets.layers import conv_bias, norm_layer

PADDINGS = {"reflect": nn.ReflectionPad2d, "replicate": nn.ReplicationPad2d}


class ResnetBlock(nn.Module):
    """x + [pad, conv3x3, norm, ReLU, (dropout 0.5), pad, conv3x3, norm](x); no activation after the add."""

    def __init__(self, dim: int, norm: str, dropout: bool, padding: str = "reflect"):
        super().__init__()
        bias = conv_bias(norm)
        layers: list[nn.Module] = []
        for i in range(2):
            layers += _padded_conv(dim, dim, 3, padding, bias)
            layers.append(norm_layer(norm, dim))
            if i == 0:
                layers.append(nn.ReLU(True))
                if dropout:
                    layers.append(nn.Dropout(0.5))
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv_block(x)


def _padded_conv(cin: int, cout: int, k: int, padding: str, bias: bool) -> list[nn.Module]:
    p = k // 2
    if padding == "zero":
        return [nn.Conv2d(cin, cout, k, padding=p, bias=bias)]
    return [PADDINGS[padding](p), nn.Conv2d(cin, cout, k, bias=bias)]


class ResnetGenerator(nn.Module):
    """(N, in_channels, H, W) in [-1, 1] -> (N, out_channels, H, W) in [-1, 1]; H and W multiples of 4.

    CycleGAN uses n_blocks 9 at 256 px and 6 at 128 px (Zhu et al. 2017, section 4 / appendix 7.2).
    `antialias` / `antialias_up` give the official CUT generator (Park et al. 2020): each stride-2 conv becomes
    a stride-1 conv followed by a blurred subsampling, each transposed conv an anti-aliased upsampling followed
    by a 3x3 conv (nets/antialias.py); the module indices then match the official CUT `ResnetGenerator`.
    """

    multiple = 4  # two stride-2 stages: inputs must be divisible by 4 to come back at the same size
    lattice = 4  # ... and the two up-sampling stages repeat their uneven overlaps every 4 output pixels

    def __init__(self, in_channels: int = 3, out_channels: int = 3, ngf: int = 64, n_blocks: int = 9,
                 norm: str = "instance", dropout: bool = False, padding: str = "reflect", antialias: bool = False,
                 antialias_up: bool = False):
        super().__init__()
        if padding not in (*PADDINGS, "zero"):
            raise ValueError(f"unknown padding {padding!r}; valid: reflect, replicate, zero")
        bias = conv_bias(norm)
        # The 7x7 convs at both ends always use reflection padding; `padding` applies inside the blocks.
        layers: list[nn.Module] = [*_padded_conv(in_channels, ngf, 7, "reflect", bias), norm_layer(norm, ngf),
                                   nn.ReLU(True)]
        for i in range(2):  # downsampling
            m = 2 ** i
            layers += [nn.Conv2d(ngf * m, ngf * m * 2, 3, stride=1 if antialias else 2, padding=1, bias=bias),
                       norm_layer(norm, ngf * m * 2), nn.ReLU(True)]
            if antialias:
                layers.append(Downsample(ngf * m * 2))
        layers += [ResnetBlock(ngf * 4, norm, dropout, padding) for _ in range(n_blocks)]
        for i in range(2):  # upsampling
            m = 2 ** (2 - i)
            if antialias_up:
                layers += [Upsample(ngf * m), nn.Conv2d(ngf * m, ngf * m // 2, 3, padding=1, bias=bias)]
            else:
                layers.append(nn.ConvTranspose2d(ngf * m, ngf * m // 2, 3, stride=2, padding=1, output_padding=1,
                                                 bias=bias))
            layers += [norm_layer(norm, ngf * m // 2), nn.ReLU(True)]
        layers += [*_padded_conv(ngf, out_channels, 7, "reflect", True), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)

    def take_transposed(self, plain: ResnetGenerator) -> None:
        """Take the weights of a generator that differs from this one only in up-sampling by transposed
        convolutions (`antialias_up` off; this one has it on): each ConvTranspose2d(W) becomes the 3x3 conv after
        the anti-aliased up-sampling with weights flip(W^T) / 4, so that this net computes the plain one with a
        4x4 binomial blur after each transposed conv (exactly, away from the borders). The blur removes the
        transposed convs' checkerboard, which a trained net's later layers may rely on: fine-tune after it."""
        mine = [m for m in self.model if not isinstance(m, Upsample)]
        if len(mine) != len(plain.model):
            raise ValueError("take_transposed needs a generator of the same size with transposed convolutions")
        for a, b in zip(mine, plain.model):
            if isinstance(b, nn.ConvTranspose2d):
                if not isinstance(a, nn.Conv2d) or a.weight.shape != b.weight.transpose(0, 1).shape:
                    raise ValueError("take_transposed: the nets' up-sampling layers do not correspond")
                with torch.no_grad():
                    a.weight.copy_(b.weight.transpose(0, 1).flip(2, 3) / 4)
                    if b.bias is not None:
                        a.bias.copy_(b.bias)
            else:
                a.load_state_dict(b.state_dict())

    def encode(self, x: Tensor, layers: list[int]) -> list[Tensor]:
        """The outputs of the layers `layers` (indices into `model`, ascending), computing no further than the
        last one: the features CUT's PatchNCE loss compares (the official `encode_only=True`)."""
        feats = []
        for i, layer in enumerate(self.model):
            x = layer(x)
            if i in layers:
                feats.append(x)
                if i == layers[-1]:
                    break
        return feats
