"""Run configuration: TrainConfig, DataConfig and RunConfig (the three parts of one training run).

Torch-free on purpose: `translate --help` and `translate train --help` import only this module,
options.py, registry.py and models/configs.py, so help stays under a second.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from translate.errors import CheckpointError
from translate.options import from_dict, opt
from translate.registry import WINOGRAD_CHOICES, model_config

CONFIG_FORMAT = "translate-run/1"


@dataclass
class TrainConfig:
    steps: int = opt(2000, "generator updates to run (one 'step' = k D updates + 1 G update)")
    batch_size: int = opt(64, "examples per minibatch (each D and each G update draws a fresh one); under "
                              "torchrun the global batch, split evenly over the processes")
    d_steps: int = opt(1, "k: discriminator updates per generator update (Goodfellow et al. 2014, Alg. 1)")
    optim: str = opt("adam", "optimizer for every role", choices=("adam", "sgd"))
    lr_g: float = opt(2e-4, "generator learning rate (TTUR: set it apart from --lr-d)")
    lr_d: float = opt(2e-4, "discriminator learning rate")
    betas_g: tuple = opt((0.5, 0.999), "Adam betas of the generator", metavar="B1 B2")
    betas_d: tuple = opt((0.5, 0.999), "Adam betas of the discriminator", metavar="B1 B2")
    momentum: float = opt(0.9, "SGD momentum (with --optim sgd)")
    weight_decay: float = opt(0.0, "L2 weight decay for every role")
    epochs: int = opt(0, "train this many epochs at constant LR, then --epochs-decay more decaying linearly to 0 "
                         "with the official per-epoch formula; replaces --steps (0: use --steps)")
    epochs_decay: int = opt(0, "epochs of linear LR decay after --epochs")
    lr_decay: float = opt(0.0, "decay the learning rates linearly to 0 over this last fraction of the run "
                               "(0: constant; CycleGAN's 100 + 100 epochs = 0.5)")
    grad_clip: float = opt(0.0, "clip each role's gradient norm to this value (0: off)")
    ema: float = opt(0.0, "keep an exponential moving average of G with this decay, e.g. 0.999 (0: off)")
    device: str = opt("auto", "where to train", choices=("auto", "cpu", "cuda"))
    precision: str = opt(
        "auto", "autocast precision. auto: on the CPU bf16 where the CPU has bf16 arithmetic and timing the "
        "generator both ways shows bf16 faster (else fp32; the plan line says which and why), bf16 on a GPU "
        "(fp16 where bf16 is missing); fp16 needs a GPU (GradScaler)",
        choices=("auto", "fp32", "bf16", "fp16"),
    )
    channels_last: bool = opt(False, "keep nets and image batches in channels-last memory format (faster "
                                     "convolutions on recent GPUs)")
    compile: bool = opt(False, "torch.compile every net (in place; checkpoints are unchanged); pays off on "
                               "GPUs after a compile of a minute or more")
    winograd: str = opt("auto", "3x3 convolutions of >= 256 channels (ResNet blocks at ngf 64) as Winograd "
                                "F(4x4,3x3), forward and backward, same result within float rounding. auto: in "
                                "fp32 on the CPU without --compile, where it timed faster on this machine "
                                "(`translate info`); on: every 3x3 stride-1 layer, any device",
                        choices=WINOGRAD_CHOICES)
    sync_bn: bool = opt(False, "under torchrun on GPUs: BatchNorm statistics over the global batch "
                               "(SyncBatchNorm) instead of each process's share")
    seed: int = opt(0, "seed for weights, noise and data order (recorded in the run)")
    deterministic: bool = opt(False, "use deterministic kernels only (slower on GPU; CPU is already exact)")
    out: str = opt("", "run folder (default: a new numbered one, checkpoints/run-NNN-MODEL-DATA)",
                   metavar="DIR")
    resume: str = opt("", "continue the run in DIR from its latest saved state", metavar="DIR")
    init_from: str = opt("", "fine-tune: start the generators from a bundle, run folder or bundled name of the "
                             "same architecture (discriminators and optimizers start fresh)", metavar="CHECKPOINT")
    log_every: int = opt(10, "flush losses to losses.csv, check them for NaN/inf and refresh the bar")
    sample_every: int = opt(500, "write a sample grid from a fixed noise batch every N steps")
    checkpoint_every: int = opt(1000, "save the full training state every N steps")
    keep_checkpoints: int = opt(3, "keep only the newest N saved states")
    n_samples: int = opt(64, "images (or points x 16) in each sample grid")
    tensorboard: bool = opt(False, "also log to TensorBoard (needs the tensorboard package)")
    dry_run: bool = opt(False, "print the resolved configuration and exit")


# The official ratio of load to crop size (286 for 256): a random crop sees ~90% of the photo. Training
# (`--size`, the default load size) and inference (the work scale of a translator) both follow it.
LOAD_PER_CROP = 286 / 256
PAPER_CROP = 256  # pix2pix and CycleGAN crop 256 px (Isola et al. 2017 6.2, Zhu et al. 2017 appendix 7.1)

# The two ways of a translation data set: A -> B and B -> A (a bundle maps each it can do to a generator).
Direction = Literal["AtoB", "BtoA"]
DIRECTIONS: tuple[Direction, Direction] = ("AtoB", "BtoA")


def opposite(direction: Direction) -> Direction:
    return "BtoA" if direction == "AtoB" else "AtoB"


def default_load(crop: int) -> int:
    """The load size the official recipe pairs with a crop size."""
    return round(crop * LOAD_PER_CROP)


@dataclass
class DataConfig:
    data: str = opt(
        "", "data set name (ring8, grid25, mnist, digits, cifar10; horse2zebra, facades and the other official "
        "translation sets, downloaded when missing: `translate list`) or a folder of images "
        "(class sub-folders for cgan)", metavar="NAME_OR_PATH",
    )
    root: str = opt("datasets", "where named data sets live and are downloaded to", metavar="DIR")
    size: int = opt(0, "image side in pixels (0: the model's default); for pix2pix/CycleGAN a shortcut for "
                       "--crop-size S --load-size S*286/256, e.g. 64 or 128 on a CPU")
    max_images: int = opt(0, "use only the first N training examples (0: all)")
    holdout: int = opt(
        1000, "mnist: keep N training digits (a fixed-seed random choice) out of training (Parzen sigma "
              "selection uses them)"
    )
    workers: int = opt(0, "DataLoader worker processes for image folders")
    # Image translation (pix2pix, CycleGAN): the official data options.
    direction: str = opt("AtoB", "translate A to B, or B to A (facades labels -> photo is BtoA)",
                         choices=DIRECTIONS)
    phase: str = opt("train", "which split to train on: trainA/trainB (unpaired) or train/ (paired)")
    preprocess: str = opt("resize_and_crop", "how images are scaled and cropped for training",
                          choices=("resize_and_crop", "scale_width", "scale_width_and_crop", "crop", "none"))
    load_size: int = opt(0, "scale images to this size first (0: the model's default, 286; or from --size)")
    crop_size: int = opt(0, "then randomly crop to this size (0: the model's default, 256; or --size)")
    flip: bool = opt(True, "random horizontal flips (--no-flip to turn off)")
    serial_batches: bool = opt(False, "unpaired data: pair A and B images in order instead of a random B")
    input_nc: int = opt(3, "channels of the input images (1: grayscale)")
    output_nc: int = opt(3, "channels of the output images (1: grayscale)")


@dataclass
class RunConfig:
    model_name: str
    train: TrainConfig
    data: DataConfig
    model: Any  # the model's own Config dataclass

    def to_dict(self) -> dict:
        return {
            "format": CONFIG_FORMAT,
            "model_name": self.model_name,
            "train": dataclasses.asdict(self.train),
            "data": dataclasses.asdict(self.data),
            "model": dataclasses.asdict(self.model),
        }

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        if d.get("format") != CONFIG_FORMAT:
            raise CheckpointError(f"unknown run config format {d.get('format')!r} (expected {CONFIG_FORMAT})")
        name = d["model_name"]
        return cls(
            model_name=name,
            train=from_dict(TrainConfig, d["train"]),
            data=from_dict(DataConfig, d["data"]),
            model=from_dict(model_config(name), d["model"]),
        )

    def save(self, path: str | Path) -> None:
        from translate.storage.atomic import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")


