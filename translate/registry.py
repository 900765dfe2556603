"""Every name the project accepts, and where its implementation lives: the one source of each list of names.

Argparse choices, `translate list`, error messages ("did you mean") and the registry-driven tests all
read these tables. An entry is a lazy import path ("module:attribute") plus a few plain facts, so this
module and every name list stay torch-free (`translate --help` imports nothing heavy). Adding a model,
net, objective or data set is its own file plus one line here.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import Any

from translate.errors import UnknownNameError


@dataclass(frozen=True)
class Entry:
    target: str  # "package.module:attribute"
    info: dict[str, Any] = field(default_factory=dict)


def load_attr(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


class Registry:
    def __init__(self, kind: str, entries: dict[str, Entry | str]):
        self.kind = kind
        self._entries = {k: v if isinstance(v, Entry) else Entry(v) for k, v in entries.items()}

    def names(self, **where) -> list[str]:
        """Registered names, sorted; `where` keeps those whose info has these values (e.g. kind="paired")."""
        return sorted(n for n, e in self._entries.items() if all(e.info.get(k) == v for k, v in where.items()))

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self):
        return iter(self.names())

    def entry(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(unknown_name_message(self.kind, name, self._entries)) from None

    def info(self, name: str) -> dict[str, Any]:
        return self.entry(name).info

    def get(self, name: str):
        """The implementation (class or function) behind `name`, imported on first use."""
        return load_attr(self.entry(name).target)


def unknown_name_message(kind: str, name: str, valid) -> str:
    close = difflib.get_close_matches(str(name), list(valid), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}.{hint} Valid: {', '.join(sorted(valid))}."


def _model(target: str, config: str, data_kinds: tuple[str, ...], title: str, paper: str,
           official: str = "") -> Entry:
    """`target` ("module:Class" under translate/models/) and `config` (a class in models/configs.py, or
    "module:Class" beside the model); `title` and `paper`: how people name the model and its paper (status
    lines, `translate list`); `official`: the repository whose generator files `translate import-official
    --model NAME` reads."""
    config = f"translate.models.{config}" if ":" in config else f"translate.models.configs:{config}"
    return Entry(f"translate.models.{target}", {"config": config,
                                                 "data_kinds": data_kinds, "official": official,
                                                 "title": title, "paper": paper})


_JUNYANZ, _TAESUNGP = "junyanz/pytorch-CycleGAN-and-pix2pix", "taesungp/contrastive-unpaired-translation"


MODELS = Registry("model", {
    "gan": _model("gan:GAN", "GANConfig", ("points", "images"), "GAN", "Goodfellow et al. 2014"),
    "dcgan": _model("dcgan:DCGAN", "DCGANConfig", ("images",), "DCGAN", "Radford et al. 2016"),
    "cgan": _model("cgan:CGAN", "CGANConfig", ("labeled",), "conditional GAN", "Mirza and Osindero 2014"),
    "pix2pix": _model("pix2pix:Pix2Pix", "Pix2PixConfig", ("paired",), "pix2pix", "Isola et al. 2017", _JUNYANZ),
    "cyclegan": _model("cyclegan:CycleGAN", "CycleGANConfig", ("unpaired",), "CycleGAN", "Zhu et al. 2017",
                       _JUNYANZ),
    "cut": _model("cut:CUT", "CUTConfig", ("unpaired",), "CUT", "Park et al. 2020", _TAESUNGP),
    "fastcut": _model("cut:FastCUT", "FastCUTConfig", ("unpaired",), "FastCUT", "Park et al. 2020", _TAESUNGP),
})


def official_models() -> list[str]:
    """The models whose official generator files `translate import-official --model NAME` reads."""
    return [n for n in MODELS.names() if MODELS.info(n)["official"]]


def model_config(name: str) -> type:
    """A model's Config dataclass (torch-free: models/configs.py), for the CLI and saved runs."""
    return load_attr(MODELS.info(name)["config"])


OBJECTIVES = Registry("objective", {
    "minimax": "translate.models.objectives:Minimax",
    "nonsaturating": "translate.models.objectives:NonSaturating",
    "lsgan": "translate.models.objectives:LeastSquares",
    "wgan-gp": "translate.models.objectives:WassersteinGP",
    "hinge": "translate.models.objectives:Hinge",
})

NETS = Registry("net", {
    "mlp_g": "translate.nets.mlp:MLPGenerator",
    "mlp_d": "translate.nets.mlp:MLPDiscriminator",
    "dcgan_g": "translate.nets.dcgan:DCGANGenerator",
    "dcgan_d": "translate.nets.dcgan:DCGANDiscriminator",
    "resnet_g": "translate.nets.resnet:ResnetGenerator",
    "unet_g": "translate.nets.unet:UnetGenerator",
    "patchgan_d": "translate.nets.patchgan:PatchDiscriminator",
    "pixel_d": "translate.nets.patchgan:PixelDiscriminator",
    "patch_sample_mlp": "translate.nets.patch_sample:PatchSampleMLP",
})

# The official --netG names (pix2pix/CycleGAN `define_G`) -> a net above and its fixed arguments.
# unet_64 / unet_32 are ours (6 and 5 downsamplings) for low-resolution runs on a CPU.
GENERATORS = Registry("generator (--netG)", {
    "resnet_9blocks": Entry("translate.nets.resnet:ResnetGenerator", {"net": "resnet_g", "n_blocks": 9}),
    "resnet_6blocks": Entry("translate.nets.resnet:ResnetGenerator", {"net": "resnet_g", "n_blocks": 6}),
    "unet_256": Entry("translate.nets.unet:UnetGenerator", {"net": "unet_g", "num_downs": 8}),
    "unet_128": Entry("translate.nets.unet:UnetGenerator", {"net": "unet_g", "num_downs": 7}),
    "unet_64": Entry("translate.nets.unet:UnetGenerator", {"net": "unet_g", "num_downs": 6}),
    "unet_32": Entry("translate.nets.unet:UnetGenerator", {"net": "unet_g", "num_downs": 5}),
})
# The official --netD names: basic = the 70x70 PatchGAN, n_layers = PatchGAN of --n-layers-d, pixel = 1x1.
DISCRIMINATORS = Registry("discriminator (--netD)", {
    "basic": Entry("translate.nets.patchgan:PatchDiscriminator", {"net": "patchgan_d", "n_layers": 3}),
    "n_layers": Entry("translate.nets.patchgan:PatchDiscriminator", {"net": "patchgan_d"}),
    "pixel": Entry("translate.nets.patchgan:PixelDiscriminator", {"net": "pixel_d"}),
})
# Weight initialisations (`init_weights`) and normalisation layers (`norm_layer`) of nets/layers.py.
INIT_KINDS = ("normal", "xavier", "kaiming", "orthogonal")
NORM_KINDS = ("instance", "batch", "none")


# Openers take (DataConfig, the model's data kinds) and return (source, DataInfo); see data/datasets.py.
_TOY = Entry("translate.data.datasets:open_toy", {"kind": "points"})


def _official(kind: str, archive: str) -> Entry:
    """An official CycleGAN (unpaired zip) or pix2pix (paired tar.gz) data set, downloaded when missing."""
    return Entry("translate.data.pairs:open_translation_data", {"kind": kind, "archive": archive})


_CYCLEGAN = "cyclegan/datasets/{name}.zip"
_PIX2PIX = "pix2pix/datasets/{name}.tar.gz"
DATASETS = Registry("data set", {
    "ring8": _TOY,
    "grid25": _TOY,
    "mnist": Entry("translate.data.datasets:open_mnist",
                   {"kind": "images", "labeled": True, "needs": "MNIST idx files under --root (fetched when missing)"}),
    "digits": Entry("translate.data.datasets:open_digits", {"kind": "images", "labeled": True,
                                                            "needs": "scikit-learn (bundles the 8x8 digits)"}),
    "cifar10": Entry("translate.data.datasets:open_cifar10", {"kind": "images", "labeled": True,
                                                              "needs": "the CIFAR-10 archive (fetched when missing)"}),
    # The official download scripts (datasets/download_cyclegan_dataset.sh, download_pix2pix_dataset.sh).
    # facades and maps exist in both; facades comes as pix2pix pairs, maps as CycleGAN domains.
    **{n: _official("unpaired", _CYCLEGAN) for n in (
        "apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo", "cezanne2photo", "ukiyoe2photo",
        "vangogh2photo", "maps", "cityscapes", "iphone2dslr_flower", "ae_photos")},
    **{n: _official("paired", _PIX2PIX) for n in ("facades", "edges2shoes", "edges2handbags", "night2day")},
})

def data_names(model: str) -> list[str]:
    """The data set names `--data` takes for `model` (its data kinds; class labels for a labelled model)."""
    kinds = MODELS.info(model)["data_kinds"]
    return [n for n in DATASETS.names() if DATASETS.info(n)["kind"] in kinds
            or ("labeled" in kinds and DATASETS.info(n).get("labeled"))]


# Official pretrained generators (scripts/download_cyclegan_model.sh and download_pix2pix_model.sh);
# pix2pix names get a prefix because both projects publish a facades_label2photo.
_CG_WEIGHTS = ("apple2orange", "orange2apple", "summer2winter_yosemite", "winter2summer_yosemite", "horse2zebra",
               "zebra2horse", "monet2photo", "style_monet", "style_cezanne", "style_ukiyoe", "style_vangogh",
               "sat2map", "map2sat", "cityscapes_photo2label", "cityscapes_label2photo", "facades_photo2label",
               "facades_label2photo", "iphone2dslr_flower")
_P2P_WEIGHTS = ("edges2shoes", "sat2map", "map2sat", "facades_label2photo", "day2night")
PRETRAINED = Registry("pretrained model", {
    **{n: Entry("translate.interop.official:import_official",
                {"model": "cyclegan", "url": f"cyclegan/pretrained_models/{n}.pth"}) for n in _CG_WEIGHTS},
    **{f"pix2pix_{n}": Entry("translate.interop.official:import_official",
                             {"model": "pix2pix", "url": f"pix2pix/models-pytorch/{n}.pth"}) for n in _P2P_WEIGHTS},
    # The official CUT code publishes one archive with every model (README, experiments/pretrained_launcher.py);
    # each is <data>_<mode>_pretrained/latest_net_G.pth, trained in the launcher's direction.
    **{f"{mode}_{data}": Entry("translate.interop.official:import_official",
                               {"model": mode, "url": "CUT/pretrained_models.tar", "direction": direction,
                                "member": f"{data}_{mode}_pretrained/latest_net_G.pth"})
       for mode in ("cut", "fastcut") for data, direction in (("horse2zebra", "AtoB"), ("cat2dog", "AtoB"),
                                                             ("cityscapes", "BtoA"))},
})

# The Winograd switch of training and inference (translate/accel).
WINOGRAD_CHOICES = ("auto", "on", "off")

# Image files the project reads (training folders, convert, the demo); Pillow decodes each of these.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".gif")
# Video files `translate convert` translates frame by frame (translate/inference/video.py, the `video` extra).
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi")
