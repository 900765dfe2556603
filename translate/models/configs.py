"""Each model's Config dataclass: the published defaults, with the paper named beside each.

These live together in one torch-free module (not beside each model's loss code) so that the CLI can
list every model's flags in `--help` without importing torch. The loss code of model `x` is in
`models/x.py`; its defaults are here, under the same name.

Class attributes (not flags):
  DATA_KINDS      what the model can train on ("points", "images", "labeled")
  TRAIN_DEFAULTS  the paper's optimizer/schedule settings, applied before the user's flags
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from translate.config import opt

OBJECTIVE_NAMES = ("minimax", "nonsaturating", "lsgan", "wgan-gp", "hinge")


@dataclass
class AdversarialConfig:
    """Options every model shares: which game is played and its regularisers."""

    objective: str = opt("nonsaturating", "adversarial objective", choices=OBJECTIVE_NAMES)
    gp_weight: float = opt(10.0, "WGAN-GP penalty weight lambda (Gulrajani et al. 2017), used with wgan-gp")
    r1: float = opt(0.0, "R1 penalty gamma on real data (Mescheder et al. 2018); 0: off")
    init: str = opt("normal", "weight init (normal = N(0, 0.02), Radford et al. 2016)",
                    choices=("normal", "xavier", "kaiming", "orthogonal"))

    DATA_KINDS: ClassVar[tuple] = ()
    TRAIN_DEFAULTS: ClassVar[dict] = {}


@dataclass
class GANConfig(AdversarialConfig):
    """Goodfellow et al. 2014: MLP generator (ReLU) and maxout discriminator.

    The widths follow the 2-D mixture benchmarks of VEEGAN/PacGAN (G: 400-unit ReLU layers with
    BatchNorm; D: 200-unit maxout layers). Defaults chosen so that the plain command
    `translate train --model gan --data ring8` (or grid25) covers every mode; see bench/mode_coverage.py.
    """

    z_dim: int = opt(2, "latent dimension")
    g_hidden: int = opt(128, "generator units per hidden layer")
    g_layers: int = opt(3, "generator hidden layers")
    d_hidden: int = opt(128, "discriminator units per hidden layer")
    d_layers: int = opt(2, "discriminator hidden layers")
    maxout: int = opt(1, "maxout pieces per discriminator unit (Goodfellow et al. 2014 used 5; 1: LeakyReLU)")
    pack: int = opt(1, "PacGAN packing degree: D judges this many samples jointly (Lin et al. 2018)")

    DATA_KINDS: ClassVar[tuple] = ("points", "images")
    # Chosen by measurement on ring8/grid25 within a 3-minute CPU budget (bench/mode_coverage.py): more
    # steps with a linear decay to 0 over the second half sharpen the modes more than wider nets do.
    TRAIN_DEFAULTS: ClassVar[dict] = {"batch_size": 256, "lr_g": 2e-4, "lr_d": 2e-4, "steps": 15000,
                                      "lr_decay": 0.5, "sample_every": 2500, "checkpoint_every": 5000}


@dataclass
class DCGANConfig(AdversarialConfig):
    """Radford et al. 2016, section 3 and 4: all-convolutional G and D with BatchNorm, ReLU in G,
    LeakyReLU(0.2) in D, N(0, 0.02) init, Adam(lr 2e-4, beta1 0.5), minibatch 128, z of 100 dims."""

    z_dim: int = opt(100, "latent dimension (Radford et al. 2016: 100)")
    ngf: int = opt(64, "generator width of its last hidden layer")
    ndf: int = opt(64, "discriminator width of its first layer")

    DATA_KINDS: ClassVar[tuple] = ("images",)
    TRAIN_DEFAULTS: ClassVar[dict] = {"batch_size": 128, "lr_g": 2e-4, "lr_d": 2e-4,
                                      "betas_g": (0.5, 0.999), "betas_d": (0.5, 0.999)}


@dataclass
class CGANConfig(DCGANConfig):
    """Mirza & Osindero 2014 on DCGAN nets: the class label, one-hot, is concatenated to z in G and
    to the image as constant planes in D; `projection` uses Miyato & Koyama 2018 in D instead."""

    conditioning: str = opt("concat", "how D sees the label", choices=("concat", "projection"))

    DATA_KINDS: ClassVar[tuple] = ("labeled",)


MODEL_CONFIGS: dict[str, type] = {"gan": GANConfig, "dcgan": DCGANConfig, "cgan": CGANConfig}
