"""Fully connected generator and discriminator: the setting of Goodfellow et al. 2014 (ReLU generator,
maxout discriminator) used for 2-D toy mixtures and flattened images."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Maxout(nn.Module):
    """Goodfellow et al. 2013: the max over `pieces` affine maps."""

    def __init__(self, d_in: int, d_out: int, pieces: int):
        super().__init__()
        self.pieces = pieces
        self.linear = nn.Linear(d_in, d_out * pieces)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).unflatten(1, (-1, self.pieces)).amax(2)


class MLPGenerator(nn.Module):
    """z (N, z_dim) [+ labels (N,)] -> (N, out_dim); tanh output when `tanh` (images in [-1, 1])."""

    def __init__(self, z_dim: int, out_dim: int, hidden: int = 400, layers: int = 3,
                 batchnorm: bool = True, tanh: bool = False, n_classes: int = 0):
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        blocks, d = [], z_dim + n_classes
        for _ in range(layers):
            blocks += [nn.Linear(d, hidden), *( [nn.BatchNorm1d(hidden)] if batchnorm else []), nn.ReLU()]
            d = hidden
        blocks.append(nn.Linear(d, out_dim))
        if tanh:
            blocks.append(nn.Tanh())
        self.net = nn.Sequential(*blocks)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.n_classes:
            z = torch.cat([z, F.one_hot(labels, self.n_classes).to(z.dtype)], 1)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """x (N, in_dim) [+ labels] -> logits (N // pack,).

    `pack` > 1 is PacGAN (Lin et al. 2018): D judges `pack` samples at once, concatenated, which
    penalises a generator that drops modes. `maxout` > 1 uses maxout units (Goodfellow et al. 2014).
    """

    def __init__(self, in_dim: int, hidden: int = 200, layers: int = 2, maxout: int = 5,
                 pack: int = 1, n_classes: int = 0, dropout: float = 0.0):
        super().__init__()
        self.pack, self.n_classes = pack, n_classes
        blocks, d = [], (in_dim + n_classes) * pack
        for _ in range(layers):
            blocks.append(Maxout(d, hidden, maxout) if maxout > 1 else nn.Sequential(nn.Linear(d, hidden),
                                                                                  nn.LeakyReLU(0.2)))
            if dropout:
                blocks.append(nn.Dropout(dropout))
            d = hidden
        blocks.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*blocks)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        x = x.flatten(1)
        if self.n_classes:
            x = torch.cat([x, F.one_hot(labels, self.n_classes).to(x.dtype)], 1)
        if self.pack > 1:
            if x.shape[0] % self.pack:
                raise ValueError(f"PacGAN with pack={self.pack} needs a batch size divisible by it, got "
                                 f"{x.shape[0]}")
            x = x.reshape(x.shape[0] // self.pack, -1)
        return self.net(x).squeeze(1)
