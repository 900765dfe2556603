"""pix2pix/CycleGAN discriminators (Isola et al. 2017, section 3.2.2): the N-layer PatchGAN, whose
logits each judge one receptive-field patch (n_layers 3 = the 70x70 PatchGAN: a 256 px input gives
30x30 logits), and the 1x1 PixelGAN. Module trees match the official `NLayerDiscriminator`
(`model.K`) and `PixelDiscriminator` (`net.K`), so official D checkpoints load too. No sigmoid: the
objectives work on logits."""

from __future__ import annotations

from torch import Tensor, nn

from translate.nets.antialias import Downsample
from translate.nets.layers import conv_bias, norm_layer


class PatchDiscriminator(nn.Module):
    """(N, in_channels, H, W) -> (N, 1, H', W') logits, one per patch. `antialias`: the official CUT variant,
    each stride-2 conv a stride-1 conv followed by a blurred subsampling (nets/antialias.py)."""

    def __init__(self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "instance",
                 antialias: bool = False):
        super().__init__()
        bias = conv_bias(norm)
        down = 1 if antialias else 2
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, stride=down, padding=1), nn.LeakyReLU(0.2)]
        if antialias:
            layers.append(Downsample(ndf))
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2 ** n, 8)
            last = n == n_layers  # the last feature layer keeps the resolution
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1 if last else down, padding=1, bias=bias),
                       norm_layer(norm, ndf * mult), nn.LeakyReLU(0.2)]
            if antialias and not last:
                layers.append(Downsample(ndf * mult))
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)


class PixelDiscriminator(nn.Module):
    """1x1 PatchGAN: (N, in_channels, H, W) -> (N, 1, H, W) logits, one per pixel (colour statistics only)."""

    def __init__(self, in_channels: int = 3, ndf: int = 64, norm: str = "instance"):
        super().__init__()
        bias = conv_bias(norm)
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, ndf, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, ndf * 2, 1, bias=bias), norm_layer(norm, ndf * 2), nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 2, 1, 1, bias=bias))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
