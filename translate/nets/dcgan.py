"""DCGAN generator and discriminator (Radford et al. 2016, section 3), for 28, 32 and 64 px.

Generator: z -> transposed conv to a base grid (4x4, or 7x7 for 28 px), then stride-2 transposed
convs doubling the side while halving the width, BatchNorm + ReLU everywhere but the Tanh output.
Discriminator: the mirror image with stride-2 convs, LeakyReLU(0.2), no BatchNorm on the input layer,
and a final conv over the whole base grid to one logit. Optional class conditioning (cGAN, Mirza &
Osindero 2014): G takes concat(z, one-hot y); D either sees one-hot label planes concatenated to the
image ("concat") or adds a projection term <embed(y), features> to its logit ("projection",
Miyato & Koyama 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

SIZES = (28, 32, 64)


def _plan(image_size: int) -> tuple[int, int]:
    """(base grid side, number of stride-2 stages) for a supported image size."""
    if image_size not in SIZES:
        raise ValueError(f"DCGAN supports image sizes {SIZES}, got {image_size}; pass --size 32 or 64")
    if image_size == 28:
        return 7, 2
    return 4, {32: 3, 64: 4}[image_size]


class DCGANGenerator(nn.Module):
    """z (N, z_dim) [+ labels (N,)] -> images (N, channels, S, S) in [-1, 1]."""

    def __init__(self, z_dim: int = 100, channels: int = 3, image_size: int = 64, ngf: int = 64,
                 n_classes: int = 0):
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        base, stages = _plan(image_size)
        width = ngf * 2 ** (stages - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim + n_classes, width, base, 1, 0, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(True),
        ]
        for _ in range(stages - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.n_classes:
            z = torch.cat([z, F.one_hot(labels, self.n_classes).to(z.dtype)], 1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """images (N, channels, S, S) [+ labels (N,)] -> logits (N,)."""

    def __init__(self, channels: int = 3, image_size: int = 64, ndf: int = 64, n_classes: int = 0,
                 conditioning: str = "concat"):
        super().__init__()
        if conditioning not in ("concat", "projection"):
            raise ValueError(f"conditioning must be 'concat' or 'projection', got {conditioning!r}")
        self.n_classes, self.conditioning = n_classes, conditioning
        base, stages = _plan(image_size)
        extra = n_classes if n_classes and conditioning == "concat" else 0
        layers: list[nn.Module] = [nn.Conv2d(channels + extra, ndf, 4, 2, 1, bias=False),
                                   nn.LeakyReLU(0.2, True)]
        width = ndf
        for _ in range(stages - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2),
                       nn.LeakyReLU(0.2, True)]
            width *= 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(width, 1, base, 1, 0, bias=False)
        if n_classes and conditioning == "projection":
            self.embed = nn.Embedding(n_classes, width)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.n_classes and self.conditioning == "concat":
            planes = F.one_hot(labels, self.n_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, planes.expand(-1, -1, x.shape[2], x.shape[3])], 1)
        h = self.features(x)
        logit = self.head(h).flatten()
        if self.n_classes and self.conditioning == "projection":
            logit = logit + (self.embed(labels) * h.sum((2, 3))).sum(1)
        return logit
