"""Inference from a bundle or run folder, with no training code involved.

`load(path)` reads config.json (or a run's newest state) and rebuilds the exported nets from their
registry names and constructor arguments. For noise -> sample models it returns a `Sampler`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from translate.checkpoint import CheckpointError, load_checkpoint, load_into
from translate.data.transforms import to_uint8


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _build(spec: dict) -> torch.nn.Module:
    from translate.registry import NETS

    return NETS.get(spec["name"])(**spec["kwargs"])


class Sampler:
    """Draws samples from a trained generator.

    `sample(n)` -> (n, C, H, W) float in [-1, 1] for image models, (n, 2) coordinates for points.
    Conditional models take `labels`: class indices or names (one per sample, or one for all).
    """

    def __init__(self, config: dict, tensors: dict[str, Tensor], device: str = "auto", where: str = ""):
        self.config = config
        self.device = _device(device)
        self.z_dim = int(config["z_dim"])
        self.class_names: list[str] = list(config.get("class_names", []))
        self.output = config["output"]
        self.sample_shape = tuple(config["sample_shape"])
        self.G = _build(config["nets"]["G"])
        load_into(self.G, {k[2:]: v for k, v in tensors.items() if k.startswith("G.")}, where)
        self.G.to(self.device).eval().requires_grad_(False)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "auto") -> Sampler:
        config, tensors = load_checkpoint(path)
        if config.get("kind") != "sampler":
            raise CheckpointError(f"{path} holds a {config.get('model')!r} model, which translates images; "
                                  f"it cannot sample from noise")
        return cls(config, tensors, device, str(path))

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
            raise ValueError(f"unknown label {label!r}; this model knows {', '.join(self.class_names)}")
        return i

    def noise(self, n: int, seed: int | None = None) -> Tensor:
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        return torch.randn(n, self.z_dim, generator=g)

    @torch.inference_mode()
    def generate(self, z: Tensor, labels: Tensor | None = None, batch_size: int = 500) -> Tensor:
        """Generator outputs for latent codes z (N, z_dim) [and label indices (N,)], on the CPU."""
        if self.conditional and labels is None:
            raise ValueError(f"this model is class-conditional: pass labels ({', '.join(self.class_names)})")
        outs = []
        for i in range(0, len(z), batch_size):
            zb = z[i:i + batch_size].to(self.device)
            args = (labels[i:i + batch_size].to(self.device),) if self.conditional else ()
            outs.append(self.G(zb, *args).float().reshape(len(zb), *self.sample_shape).cpu())
        return torch.cat(outs)

    def sample(self, n: int, labels=None, seed: int | None = None) -> Tensor:
        z = self.noise(n, seed)
        return self.generate(z, self.labels_for(labels, n, seed))

    def labels_for(self, labels, n: int, seed: int | None = None) -> Tensor | None:
        if not self.conditional:
            if labels is not None:
                raise ValueError("this model is unconditional; it takes no labels")
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

    @staticmethod
    def to_uint8(images: Tensor) -> Tensor:
        return to_uint8(images)


def load(path_or_name: str | Path, device: str = "auto") -> Sampler:
    """Load a bundle or run folder for inference."""
    return Sampler.from_pretrained(path_or_name, device=device)
