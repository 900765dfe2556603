"""What pix2pix and CycleGAN share: building the official nets by name, DiffAugment in front of D, the
bundle description, and sample grids made of real and translated preview images."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from translate.data.augment import diff_augment, parse_policy
from translate.data.info import DataInfo
from translate.errors import OptionError
from translate.models.base import GanModel
from translate.nets.layers import frozen_batchnorm_stats, init_weights
from translate.nets.spec import build_net, net_spec
from translate.registry import DISCRIMINATORS, GENERATORS


def generator_spec(cfg, in_channels: int, out_channels: int) -> dict:
    info = dict(GENERATORS.info(cfg.netG))
    name = info.pop("net")
    if name == "resnet_g":  # only when on, so that specs (and bundles) of plain ResNets stay as they were
        info.update({k: True for k in ("antialias", "antialias_up") if getattr(cfg, k)})
    return net_spec(name, in_channels=in_channels, out_channels=out_channels, ngf=cfg.ngf, norm=cfg.norm,
                    dropout=cfg.dropout, **info)


def discriminator_spec(cfg, in_channels: int, norm: str | None = None) -> dict:
    """`norm` overrides cfg.norm (CycleGAN's fine-band discriminators)."""
    info = DISCRIMINATORS.info(cfg.netD)
    norm = norm or cfg.norm
    if info["net"] == "pixel_d":
        return net_spec("pixel_d", in_channels=in_channels, ndf=cfg.ndf, norm=norm)
    n_layers = info.get("n_layers", cfg.n_layers_d)
    # only when on: plain PatchGAN specs stay as they were
    extra = {"antialias": True} if cfg.antialias or cfg.antialias_d else {}
    return net_spec(info["net"], in_channels=in_channels, ndf=cfg.ndf, n_layers=n_layers, norm=norm, **extra)


def generator_multiple(cfg) -> int:
    """Input sides must be multiples of this to come back at the same size."""
    info = GENERATORS.info(cfg.netG)
    return 2 ** info["num_downs"] if "num_downs" in info else 4


class TranslationModel(GanModel):
    """Batches: {"A": (N, C_in, S, S), "B": (N, C_out, S, S)} in [-1, 1].

    A translation model declares here what the consumers of its bundles need; `_export_config` writes it
    into the bundle, so inference, import, export and the demo read the bundle, never a model's name.
    """

    # The inference nets, in the order of DIRECTIONS for a two-way model; an official generator file of
    # the model's published code becomes these (`translate import-official`), one file each.
    generators: ClassVar[tuple[str, ...]] = ("G",)
    # "train": translate a photo at the scale the net learned its domains (texture and colour over a whole
    # photo: the official test.py resizes every photo to the crop size), the finer detail put back;
    # "native": map every pixel at the input's own resolution (a layout to a photo).
    work_scale: ClassVar[str] = "train"

    def __init__(self, cfg, info: DataInfo):
        super().__init__(cfg, info)
        self.diffaug = parse_policy(cfg.diffaug)
        if info.image_size and info.image_size % generator_multiple(cfg):
            hint = (f"; for {info.image_size} px use `netG` unet_{info.image_size}"
                    if f"unet_{info.image_size}" in GENERATORS else "")
            raise OptionError(f"`netG` {cfg.netG} needs images whose side is a multiple of "
                             f"{generator_multiple(cfg)}; got `crop_size` {info.image_size}{hint}")

    def _build(self, specs: dict[str, dict]) -> dict[str, dict]:
        for name, spec in specs.items():
            self.add_module(name, init_weights(build_net(spec), self.cfg.init))
        return specs

    def judge(self, D: nn.Module):
        """D behind DiffAugment when configured (Zhao et al. 2020: augment everything D sees)."""
        if not self.diffaug:
            return D
        return lambda x, *cond: D(diff_augment(x, self.diffaug), *cond)

    def speed_probe(self, batch_size):
        """A generator on a batch of crops: the generators hold most of a translation step's FLOPs."""
        side = self.info.image_size
        return next(iter(self.export().values())), (batch_size, self.info.channels, side, side)

    def _export_config(self, nets: dict[str, dict], directions: dict[str, str]) -> dict:
        return {"kind": "translator", "in_channels": self.info.channels, "out_channels": self.info.out_channels,
                "multiple": generator_multiple(self.cfg), "nets": nets, "directions": directions,
                "train_size": self.info.image_size, "norm": self.cfg.norm, "work_scale": self.work_scale}

    def fixed_inputs(self, n, generator, preview=None):
        batch = preview(n)
        return {"A": batch["A"], "B": batch["B"], "nrow": self.grid_columns}

    def reals(self, preview, n):
        """The preview pairs, A beside B."""
        batch = preview(n)
        return {"reals": self._interleave([batch["A"], batch["B"]])}, 2

    def bundle_info(self):
        info = {"train_direction": self.info.direction}  # which half of a pair (or which domain) was the input
        if self.info.load_size:  # the side whole photos were resized to: the scale inference works at
            info["train_frame"] = self.info.load_size
        return info

    @staticmethod
    def _rgb(x: Tensor) -> Tensor:
        return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x

    def _translate_for_grid(self, G: nn.Module, x: Tensor) -> Tensor:
        """G applied image by image in the mode inference uses (BatchNorm nets: batch statistics of that
        one image, as official test.py; running statistics untouched)."""
        if self.cfg.norm != "batch":
            was = G.training
            G.eval()
            out = G(x)
            G.train(was)
            return out
        was = G.training
        G.train()
        with frozen_batchnorm_stats(G):
            out = torch.cat([G(x[i:i + 1]) for i in range(len(x))])
        G.train(was)
        return out

    def _interleave(self, columns: list[Tensor]) -> Tensor:
        cols = [self._rgb(c) for c in columns]
        return torch.stack(cols, 1).flatten(0, 1)
