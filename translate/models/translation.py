"""What pix2pix and CycleGAN share: building the official nets by name, DiffAugment in front of D, the
bundle description, and sample grids made of real and translated preview images."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from translate.data.augment import diff_augment, parse_policy
from translate.models.base import DataInfo, GanModel, build_net, net_spec
from translate.nets.layers import frozen_batchnorm_stats, init_weights

# Official names (--netG / --netD) -> our registry names and arguments.
NETG = {"resnet_9blocks": ("resnet_g", {"n_blocks": 9}), "resnet_6blocks": ("resnet_g", {"n_blocks": 6}),
        "unet_256": ("unet_g", {"num_downs": 8}), "unet_128": ("unet_g", {"num_downs": 7}),
        "unet_64": ("unet_g", {"num_downs": 6}), "unet_32": ("unet_g", {"num_downs": 5})}


def generator_spec(cfg, in_channels: int, out_channels: int) -> dict:
    name, kw = NETG[cfg.netG]
    return net_spec(name, in_channels=in_channels, out_channels=out_channels, ngf=cfg.ngf, norm=cfg.norm,
                    dropout=cfg.dropout, **kw)


def discriminator_spec(cfg, in_channels: int) -> dict:
    if cfg.netD == "pixel":
        return net_spec("pixel_d", in_channels=in_channels, ndf=cfg.ndf, norm=cfg.norm)
    n_layers = 3 if cfg.netD == "basic" else cfg.n_layers_d
    return net_spec("patchgan_d", in_channels=in_channels, ndf=cfg.ndf, n_layers=n_layers, norm=cfg.norm)


def generator_multiple(cfg) -> int:
    """Input sides must be multiples of this to come back at the same size."""
    return 4 if cfg.netG.startswith("resnet") else 2 ** NETG[cfg.netG][1]["num_downs"]


class TranslationModel(GanModel):
    """Batches: {"A": (N, C_in, S, S), "B": (N, C_out, S, S)} in [-1, 1]."""

    def __init__(self, cfg, info: DataInfo):
        super().__init__(cfg, info)
        self.diffaug = parse_policy(cfg.diffaug)
        if info.image_size and info.image_size % generator_multiple(cfg):
            hint = (f"; for {info.image_size} px use --netG unet_{info.image_size}"
                    if f"unet_{info.image_size}" in NETG else "")
            raise SystemExit(f"--netG {cfg.netG} needs images whose side is a multiple of "
                             f"{generator_multiple(cfg)}; got --crop-size {info.image_size}{hint}")

    def _build(self, specs: dict[str, dict]) -> dict[str, dict]:
        for name, spec in specs.items():
            self.add_module(name, init_weights(build_net(spec), self.cfg.init))
        return specs

    def judge(self, D: nn.Module):
        """D behind DiffAugment when configured (Zhao et al. 2020: augment everything D sees)."""
        if not self.diffaug:
            return D
        return lambda x, *cond: D(diff_augment(x, self.diffaug), *cond)

    def _export_config(self, nets: dict[str, dict], directions: dict[str, str]) -> dict:
        return {"kind": "translator", "in_channels": self.info.channels, "out_channels": self.info.out_channels,
                "multiple": generator_multiple(self.cfg), "nets": nets, "directions": directions,
                "train_size": self.info.image_size, "norm": self.cfg.norm}

    def fixed_inputs(self, n, generator, preview=None):
        batch = preview(n)
        return {"A": batch["A"], "B": batch["B"], "nrow": self.grid_columns}

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
