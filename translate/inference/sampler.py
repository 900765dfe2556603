"""Noise -> sample models (GAN, DCGAN, conditional GAN) at inference: `Sampler`, and the latent-space tools
of the `translate sample` command (interpolation, vector arithmetic, stretch rejection)."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import Tensor

from translate.data.transforms import to_uint8
from translate.device import resolve_device
from translate.errors import CheckpointError, OptionError
from translate.nets.spec import build_net
from translate.storage.catalog import resolve_checkpoint
from translate.storage.checkpoint import load_checkpoint, load_into, net_tensors

MAX_SAMPLE_BYTES = 2 << 30  # what one call may hold: 680,000 MNIST digits


class Sampler:
    """Draws samples from a trained generator.

    `sample(n)` -> (n, C, H, W) float in [-1, 1] for image models, (n, 2) coordinates for points.
    Conditional models take `labels`: class indices or names (one per sample, or one for all).
    """

    def __init__(self, config: dict, tensors: dict[str, Tensor], device: str = "auto", where: str = "",
                 reject_stretch: float = 0.0):
        if not 0 <= reject_stretch < 1:
            raise OptionError(f"reject_stretch is the share of latent codes to drop, in [0, 1); got {reject_stretch}")
        self.reject_stretch = reject_stretch
        self.config = config
        self.device = resolve_device(device)
        self.z_dim = int(config["z_dim"])
        self.class_names: list[str] = list(config.get("class_names", []))
        self.output = config["output"]
        self.sample_shape = tuple(config["sample_shape"])
        self.G = build_net(config["nets"]["G"], where=where or "checkpoint")
        load_into(self.G, net_tensors(tensors, "G"), where)
        self.G.to(self.device).eval().requires_grad_(False)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "auto", reject_stretch: float = 0.0) -> Sampler:
        config, tensors = load_checkpoint(resolve_checkpoint(path))
        if config.get("kind") != "sampler":
            raise CheckpointError(f"{path} holds a {config.get('model')!r} model, which translates images; "
                                  f"it cannot sample from noise")
        return cls(config, tensors, device, str(path), reject_stretch)

    @property
    def conditional(self) -> bool:
        return bool(self.class_names)

    def label_index(self, label: int | str) -> int:
        if isinstance(label, str) and label in self.class_names:
            return self.class_names.index(label)
        try:
            i = int(label)
        except ValueError:
            i = -1
        if not 0 <= i < len(self.class_names):
            raise OptionError(f"unknown label {label!r}; this model knows {', '.join(self.class_names)}")
        return i

    def noise(self, n: int, seed: int | None = None) -> Tensor:
        self.check_count(n)
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        return torch.randn(n, self.z_dim, generator=g)

    def check_count(self, n: int) -> None:
        """Refuse a number of samples that would not fit in memory, before drawing any."""
        per = 4 * (math.prod(self.sample_shape) + self.z_dim)  # float32 output and latent code
        if not 1 <= n <= MAX_SAMPLE_BYTES // per:
            raise OptionError(f"`n` {n:,}: draw from 1 to {MAX_SAMPLE_BYTES // per:,} samples at a time (at most "
                              f"{MAX_SAMPLE_BYTES >> 30} GiB of {self.output})")

    @torch.inference_mode()
    def generate(self, z: Tensor, labels: Tensor | None = None, batch_size: int = 500) -> Tensor:
        """Generator outputs for latent codes z (N, z_dim) [and label indices (N,)], on the CPU."""
        if self.conditional and labels is None:
            raise OptionError(f"this model is class-conditional: pass labels ({', '.join(self.class_names)})")
        outs = []
        for i in range(0, len(z), batch_size):
            zb = z[i:i + batch_size].to(self.device)
            args = (labels[i:i + batch_size].to(self.device),) if self.conditional else ()
            outs.append(self.G(zb, *args).float().reshape(len(zb), *self.sample_shape).cpu())
        return torch.cat(outs)

    def sample(self, n: int, labels=None, seed: int | None = None) -> Tensor:
        """n samples; with `reject_stretch` Q > 0, the n least-stretched of n / (1 - Q) draws (see
        `latent_stretch`), in the order they were drawn."""
        if not self.reject_stretch:
            return self.generate(self.noise(n, seed), self.labels_for(labels, n, seed))
        if labels is not None and not isinstance(labels, (int, str)):
            raise OptionError("with reject_stretch, pass one label for all samples (or none)")
        pool = math.ceil(n / (1 - self.reject_stretch))
        z, drawn = self.noise(pool, seed), self.labels_for(labels, pool, seed)
        stretch = latent_stretch(self.G, z.to(self.device), None if drawn is None else drawn.to(self.device))
        keep = torch.argsort(stretch.cpu(), stable=True)[:n].sort().values
        return self.generate(z[keep], None if drawn is None else drawn[keep])

    def labels_for(self, labels, n: int, seed: int | None = None) -> Tensor | None:
        if not self.conditional:
            if labels is not None:
                raise OptionError("this model is unconditional; it takes no labels")
            return None
        if labels is None:  # uniform over classes, reproducible with the seed
            g = torch.Generator().manual_seed((seed or 0) + 1)
            return torch.randint(len(self.class_names), (n,), generator=g)
        if isinstance(labels, (int, str)):
            return torch.full((n,), self.label_index(labels), dtype=torch.long)
        return torch.tensor([self.label_index(v) for v in labels], dtype=torch.long)

    def interpolate(self, rows: int, steps: int = 8, seed: int | None = None, label=None) -> Tensor:
        """Radford et al. 2016, section 6.1: linear walks between random latent pairs, one per row.
        Returns (rows * steps, ...) ordered row by row."""
        ends = self.noise(2 * rows, seed).reshape(rows, 2, self.z_dim)
        t = torch.linspace(0, 1, steps)[None, :, None]
        z = (ends[:, :1] * (1 - t) + ends[:, 1:] * t).reshape(rows * steps, self.z_dim)
        labels = None
        if self.conditional:
            per_row = self.labels_for(label if label is not None else None, rows, seed)
            labels = per_row.repeat_interleave(steps)
        return self.generate(z, labels)

    def arithmetic(self, expression: str, n: int = 64, seed: int | None = 0, label=None, nearby: int = 8,
                   jitter: float = 0.25) -> dict:
        """Latent vector arithmetic (Radford et al. 2016, section 6.3) on a seeded grid of `n` samples.

        `expression` combines groups of grid indices with + and -, e.g. "3,17,42 - 5,9,11 + 20,21,30": each
        group's latent vectors are averaged (the paper averages three exemplars, because single ones are
        unstable), and the signed means are summed. Returns the grid's latents `z`, each group's indices,
        sign and mean, the result vector, and images: `grid`, `group_images` (exemplars then their mean, per
        group), `result` and `nearby` (the result plus uniform noise of +-`jitter`, as in the paper)."""
        groups = parse_arithmetic(expression, n)
        z = self.noise(n, seed)
        labels = self.labels_for(label, n, seed) if self.conditional else None
        means = [z[idx].mean(0) for _, idx in groups]
        result = sum((sign * m for (sign, _), m in zip(groups, means)), torch.zeros(self.z_dim))
        g = torch.Generator().manual_seed((seed or 0) + 2)
        around = result + (torch.rand(nearby, self.z_dim, generator=g) * 2 - 1) * jitter
        one = None if labels is None else labels[:1]

        def draw(codes: Tensor) -> Tensor:
            return self.generate(codes, None if one is None else one.expand(len(codes)))

        return {"z": z, "groups": [(sign, idx, m) for (sign, idx), m in zip(groups, means)], "result_z": result,
                "grid": self.generate(z, labels),
                "group_images": [torch.cat([self.generate(z[idx], None if labels is None else labels[idx]),
                                            draw(m[None])]) for (_, idx), m in zip(groups, means)],
                "result": draw(result[None]), "nearby": draw(around)}

    @staticmethod
    def to_uint8(images: Tensor) -> Tensor:
        return to_uint8(images)


def parse_arithmetic(expression: str, n: int) -> list[tuple[int, list[int]]]:
    """"3,17,42 - 5,9,11 + 20,21,30" -> [(1, [3, 17, 42]), (-1, [5, 9, 11]), (1, [20, 21, 30])]."""
    import re

    text = expression.replace(" ", "")
    if not re.fullmatch(r"[+-]?\d+(,\d+)*([+-]\d+(,\d+)*)*", text):
        raise OptionError(f"`arithmetic` {expression!r}: write groups of grid indices joined by + and -, e.g. "
                          f"\"3,17,42 - 5,9,11 + 20,21,30\"")
    groups = []
    for sign, body in re.findall(r"([+-]?)([\d,]+)", text):
        idx = [int(i) for i in body.split(",")]
        bad = [i for i in idx if i >= n]
        if bad:
            raise OptionError(f"`arithmetic`: index {bad[0]} is outside the grid of {n} samples (0-{n - 1}); "
                              f"raise `n` or pick smaller indices")
        groups.append((-1 if sign == "-" else 1, idx))
    return groups


def latent_stretch(G: torch.nn.Module, z: Tensor, labels: Tensor | None = None, probes: int = 8,
                   batch_size: int = 500) -> Tensor:
    """(N,) Frobenius norm of the Jacobian of G at each latent code: how far the output moves for a small
    step in z. A continuous G must cross the empty space between separated modes somewhere in its latent
    space, and there it stretches: Tanielian et al. 2020 ("Learning disconnected manifolds: a no GAN's
    land") reject the most stretched codes. Exact (one forward-mode JVP per latent dimension) when z has
    at most `probes` dimensions, otherwise Hutchinson's estimate E||J v||^2 = ||J||_F^2 from `probes`
    fixed random directions v ~ N(0, I). G must treat samples independently (eval mode)."""
    import warnings

    from torch.func import jvp

    d = z.shape[1]
    exact = d <= probes
    dirs = torch.eye(d) if exact else torch.randn(probes, d, generator=torch.Generator().manual_seed(0))
    dirs = dirs.to(z.device, z.dtype)
    out = []
    with warnings.catch_warnings():  # functorch's first call trips a torch.jit deprecation warning
        warnings.simplefilter("ignore", FutureWarning)
        for i in range(0, len(z), batch_size):
            zb = z[i:i + batch_size]
            args = () if labels is None else (labels[i:i + batch_size],)
            sq = torch.zeros(len(zb), device=z.device)
            for v in dirs:
                _, tangent = jvp(lambda x, args=args: G(x, *args), (zb,), (v.expand_as(zb),))
                sq += tangent.float().flatten(1).pow(2).sum(1)
            out.append((sq if exact else sq / len(dirs)).sqrt())
    return torch.cat(out)

