"""Noise -> sample models: `gan` (MLP nets, Goodfellow et al. 2014). `dcgan` and `cgan` reuse the
losses below with convolutional nets (models/dcgan.py, models/cgan.py)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from translate.data.info import DataInfo
from translate.models.base import GanModel, LossOutput, loss_output
from translate.nets.layers import init_weights
from translate.nets.spec import build_net, net_spec


class NoiseModel(GanModel):
    """G maps z ~ N(0, I) [and a class label] to a sample; D scores samples [given the label].

    Batches are {"x": (N, ...) real samples in [-1, 1] (or raw coordinates for points),
    "y": (N,) int64 labels when conditional}.
    """

    conditional = False

    def __init__(self, cfg, info: DataInfo):
        super().__init__(cfg, info)
        self.g_spec, d_spec = self.net_specs()
        self.G, self.D = build_net(self.g_spec), build_net(d_spec)
        init_weights(self.G, cfg.init)
        init_weights(self.D, cfg.init)

    def net_specs(self) -> tuple[dict, dict]:
        raise NotImplementedError

    @property
    def sample_shape(self) -> tuple[int, ...]:
        if self.info.kind == "points":
            return (self.info.dim,)
        return (self.info.channels, self.info.image_size, self.info.image_size)

    def _labels(self, batch: dict) -> tuple[Tensor, ...]:
        return (batch["y"],) if self.conditional else ()

    def _generate(self, G: nn.Module, z: Tensor, *labels: Tensor) -> Tensor:
        return G(z, *labels).reshape(z.shape[0], *self.sample_shape)

    def _noise(self, like: Tensor) -> Tensor:
        return torch.randn(like.shape[0], self.cfg.z_dim, device=like.device, dtype=torch.float32)

    def roles(self):
        return {"G": list(self.G.parameters()), "D": list(self.D.parameters())}

    def d_loss(self, batch, fakes=None) -> LossOutput:
        real, labels = batch["x"], self._labels(batch)
        fake = fakes if fakes is not None else self._generate(self.G, self._noise(real), *labels)
        return loss_output(self.adversarial_d_terms(self.D, real, fake, *labels))

    def g_loss(self, batch) -> LossOutput:
        # The batch supplies only its size (and, for cGAN, labels drawn from the data distribution).
        labels = self._labels(batch)
        fake = self._generate(self.G, self._noise(batch["x"]), *labels)
        g = self.objective.g_loss(self.D(fake, *labels))
        return loss_output({"g_adv": g}, fakes=fake.detach())

    def export(self):
        return {"G": self.G}

    def export_config(self):
        return {
            "kind": "sampler",
            "output": self.info.kind if self.info.kind == "points" else "images",
            "sample_shape": list(self.sample_shape),
            "z_dim": self.cfg.z_dim,
            "class_names": list(self.info.class_names) if self.conditional else [],
            "nets": {"G": self.g_spec},
        }

    # Point clouds need many samples to show modes: their grids draw 16x as many, over real points.
    POINTS_PER_GRID_IMAGE = 16

    def _grid_count(self, n: int) -> int:
        return n * self.POINTS_PER_GRID_IMAGE if self.info.kind == "points" else n

    def reals(self, preview, n):
        return {"reals": preview(self._grid_count(n))["x"]}, 8

    def grid_reference(self, preview, n):
        return preview(self._grid_count(n))["x"] if self.info.kind == "points" else None

    def fixed_inputs(self, n, generator, preview=None):
        n = self._grid_count(n)
        if self.conditional:  # one row per class
            per_class = max(1, n // self.info.n_classes)
            y = torch.arange(self.info.n_classes).repeat_interleave(per_class)
            return {"z": torch.randn(len(y), self.cfg.z_dim, generator=generator), "y": y,
                    "nrow": per_class}
        return {"z": torch.randn(n, self.cfg.z_dim, generator=generator)}

    @torch.no_grad()
    def visuals(self, fixed, nets=None):
        G = (nets or {}).get("G", self.G)
        z = fixed["z"]
        labels = (fixed["y"],) if self.conditional else ()
        was_training = G.training
        G.eval()
        out = self._generate(G, z, *labels)
        G.train(was_training)
        return {"samples": out}


class GAN(NoiseModel):

    def net_specs(self):
        c, info = self.cfg, self.info
        out_dim = info.dim if info.kind == "points" else info.channels * info.image_size ** 2
        images = info.kind != "points"
        g = net_spec("mlp_g", z_dim=c.z_dim, out_dim=out_dim, hidden=c.g_hidden, layers=c.g_layers,
                     batchnorm=True, tanh=images)
        d = net_spec("mlp_d", in_dim=out_dim, hidden=c.d_hidden, layers=c.d_layers, maxout=c.maxout,
                     pack=c.pack)
        return g, d
