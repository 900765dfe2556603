"""Each model's Config dataclass: the published defaults, with the paper named beside each.

These live together in one torch-free module (not beside each model's loss code) so that the CLI can
list every model's flags in `--help` without importing torch. The loss code of model `x` is in
`models/x.py`; its defaults are here, under the same name.

Class attributes (not flags):
  TRAIN_DEFAULTS  the paper's optimizer/schedule settings, applied before the user's flags
  DATA_DEFAULTS   the paper's data settings (load and crop size), applied the same way
  CPU_RECIPE      flags that give a usable model in a night on a 2-core CPU (docs/training.md), named by
                  the trainer when a CPU run is estimated to take many hours
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from translate.config import PAPER_CROP, default_load
from translate.options import opt
from translate.registry import DISCRIMINATORS, GENERATORS, INIT_KINDS, NORM_KINDS, OBJECTIVES


@dataclass
class AdversarialConfig:
    """Options every model shares: which game is played and its regularisers."""

    objective: str = opt("nonsaturating", "adversarial objective", choices=tuple(OBJECTIVES))
    gp_weight: float = opt(10.0, "WGAN-GP penalty weight lambda (Gulrajani et al. 2017), used with wgan-gp")
    r1: float = opt(0.0, "R1 penalty gamma on real data (Mescheder et al. 2018); 0: off")
    init: str = opt("normal", "weight init (normal = N(0, 0.02), Radford et al. 2016)",
                    choices=INIT_KINDS)

    TRAIN_DEFAULTS: ClassVar[dict] = {}
    DATA_DEFAULTS: ClassVar[dict] = {}
    CPU_RECIPE: ClassVar[str] = ""


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

    TRAIN_DEFAULTS: ClassVar[dict] = {"batch_size": 128, "lr_g": 2e-4, "lr_d": 2e-4,
                                      "betas_g": (0.5, 0.999), "betas_d": (0.5, 0.999)}


@dataclass
class CGANConfig(DCGANConfig):
    """Mirza & Osindero 2014 on DCGAN nets: the class label, one-hot, is concatenated to z in G and
    to the image as constant planes in D; `projection` uses Miyato & Koyama 2018 in D instead."""

    conditioning: str = opt("concat", "how D sees the label", choices=("concat", "projection"))



# ------------------------------------------------------------------------------ image translation
# Both papers: Adam(2e-4, beta1 0.5), batch 1, 100 epochs at constant LR then 100 decaying linearly to 0.
_TRANSLATION_TRAIN = {"batch_size": 1, "lr_g": 2e-4, "lr_d": 2e-4, "betas_g": (0.5, 0.999),
                      "betas_d": (0.5, 0.999), "epochs": 100, "epochs_decay": 100, "lr_decay": 0.5,
                      "sample_every": 1000, "checkpoint_every": 1000, "n_samples": 4}


@dataclass
class TranslationConfig(AdversarialConfig):
    """Nets shared by pix2pix and CycleGAN (official `define_G` / `define_D` options)."""

    netG: str = opt("resnet_9blocks", "generator architecture", choices=tuple(GENERATORS))
    netD: str = opt("basic", "discriminator: basic = 70x70 PatchGAN, n_layers = PatchGAN with --n-layers-d, "
                             "pixel = 1x1 PixelGAN", choices=tuple(DISCRIMINATORS))
    n_layers_d: int = opt(3, "PatchGAN depth with --netD n_layers (3 = the 70x70 PatchGAN)")
    ngf: int = opt(64, "generator filters in the first conv layer")
    ndf: int = opt(64, "discriminator filters in the first conv layer")
    norm: str = opt("instance", "normalisation in G and D", choices=NORM_KINDS)
    dropout: bool = opt(False, "Dropout(0.5) in the generator (resnet blocks / inner U-Net decoder)")
    pool_size: int = opt(50, "image pool of earlier fakes shown to D (Shrivastava et al. 2017); 0: off")
    diffaug: str = opt("", "differentiable augmentation of everything D sees (Zhao et al. 2020), e.g. "
                           "color,translation,cutout; empty: off", metavar="POLICY")
    antialias: bool = opt(False, "anti-aliased downsampling in a ResNet G and a PatchGAN D (Zhang 2019; CUT's "
                                 "default)")
    antialias_up: bool = opt(False, "anti-aliased upsampling in a ResNet G (CUT's default)")
    antialias_d: bool = opt(False, "anti-aliased downsampling in the PatchGAN D alone (G unchanged, so "
                                   "--init-from a plain generator still loads)")

    TRAIN_DEFAULTS: ClassVar[dict] = _TRANSLATION_TRAIN
    # Both papers load 286 px and random-crop 256 px (Zhu et al. 2017 appendix 7.1, Isola et al. 2017 6.2).
    DATA_DEFAULTS: ClassVar[dict] = {"load_size": default_load(PAPER_CROP), "crop_size": PAPER_CROP}


@dataclass
class Pix2PixConfig(TranslationConfig):
    """Isola et al. 2017: U-Net-256 with BatchNorm and dropout, a 70x70 PatchGAN that sees concat(A, B),
    the vanilla GAN loss (BCE on logits = `nonsaturating`) plus lambda_L1 = 100, no image pool."""

    objective: str = opt("nonsaturating", "adversarial objective (pix2pix: vanilla BCE = nonsaturating)",
                         choices=tuple(OBJECTIVES))
    netG: str = opt("unet_256", "generator architecture", choices=tuple(GENERATORS))
    norm: str = opt("batch", "normalisation in G and D", choices=NORM_KINDS)
    dropout: bool = opt(True, "Dropout(0.5) in the generator; pix2pix keeps it (its only noise source)")
    pool_size: int = opt(0, "image pool of earlier fakes shown to D; 0: off (pix2pix)")
    lambda_l1: float = opt(100.0, "weight of the L1 distance to the target (Isola et al. 2017, eq. 4)")

    # the bundled facades model's recipe (6.9 h on one core; checkpoints/facades/README.md)
    CPU_RECIPE: ClassVar[str] = "--size 128 --netG unet_128 --ngf 16 --epochs 30 --epochs-decay 30"



@dataclass
class CycleGANConfig(TranslationConfig):
    """Zhu et al. 2017: ResNet-9 generators with InstanceNorm, 70x70 PatchGANs, the least-squares loss,
    cycle weights lambda_A = lambda_B = 10, identity loss 0.5 x lambda (appendix 7.1), a pool of 50 fakes."""

    objective: str = opt("lsgan", "adversarial objective (CycleGAN: lsgan)", choices=tuple(OBJECTIVES))
    lambda_a: float = opt(10.0, "weight of the cycle loss A -> B -> A")
    lambda_b: float = opt(10.0, "weight of the cycle loss B -> A -> B")
    lambda_identity: float = opt(0.5, "identity loss weight, as a multiple of lambda_A/lambda_B (0: off)")
    lambda_spectral: float = opt(0.0, "weight of the spectral loss (Durall et al. 2020): each translation's "
                                      "log-spectrum profile pulled towards the real target photos' (0: off)")
    lambda_fine_d: float = opt(0.0, "weight of a second pair of PatchGANs that see only the finest band of "
                                    "an image (it minus its 3x3 binomial blur), where a grid lives (0: off)")
    # Instance norm divides out each image's feature energy, the very cue an added grid gives in the finest
    # band: instance-normed fine Ds stayed at chance and blind to a grid; without norm they penalise it.
    fine_d_norm: str = opt("none", "normalisation in the fine-band discriminators", choices=NORM_KINDS)

    # the bundled horse2zebra model's recipe (checkpoints/horse2zebra/README.md)
    CPU_RECIPE: ClassVar[str] = "--size 128 --netG resnet_6blocks --ngf 32 --epochs 15 --epochs-decay 15"




# CUT and FastCUT: the official repository's options (taesungp/contrastive-unpaired-translation,
# options/base_options.py, options/train_options.py, models/cut_model.py).
_CUT_TRAIN = {**_TRANSLATION_TRAIN, "epochs": 200, "epochs_decay": 200}  # train_options: n_epochs 200 + 200


@dataclass
class CUTConfig(TranslationConfig):
    """Park et al. 2020 (CUT): one generator, a PatchGAN, and PatchNCE between input and output patches of the
    generator's encoder features, projected by an MLP head; identity PatchNCE on target images (nce_idt)."""

    objective: str = opt("lsgan", "adversarial objective (CUT: gan_mode lsgan)", choices=tuple(OBJECTIVES))
    init: str = opt("xavier", "weight init (CUT: init_type xavier, gain 0.02)", choices=INIT_KINDS)
    pool_size: int = opt(0, "image pool of earlier fakes shown to D; 0: off (CUT sets pool_size 0)")
    antialias: bool = opt(True, "anti-aliased downsampling in G and D (CUT: no_antialias False)")
    antialias_up: bool = opt(True, "anti-aliased upsampling in G (CUT: no_antialias_up False)")
    lambda_gan: float = opt(1.0, "weight of the adversarial loss (CUT: lambda_GAN 1)")
    lambda_nce: float = opt(1.0, "weight of the PatchNCE loss (CUT: lambda_NCE 1; FastCUT: 10)")
    nce_idt: bool = opt(True, "identity PatchNCE on target-domain images, G(y) vs y (CUT: on; FastCUT: off)")
    nce_layers: str = opt("0,4,8,12,16", "generator layers whose features PatchNCE compares (CUT: 0,4,8,12,16)",
                          metavar="L,L,...")
    nce_t: float = opt(0.07, "PatchNCE temperature tau (CUT: nce_T 0.07)")
    num_patches: int = opt(256, "patches sampled per layer (CUT: num_patches 256)")
    netf_nc: int = opt(256, "width of the projection head's MLP (CUT: netF_nc 256)")
    flip_equivariance: bool = opt(False, "flip the input half the time and the output's features back "
                                         "(CUT: off; FastCUT: on)")

    TRAIN_DEFAULTS: ClassVar[dict] = _CUT_TRAIN
    # No CPU recipe: none tried gives a usable model in a night (docs/comparison.md has the runs), so the
    # trainer names no quicker recipe for these models.
    CPU_RECIPE: ClassVar[str] = ""


@dataclass
class FastCUTConfig(CUTConfig):
    """Park et al. 2020 (FastCUT): no identity PatchNCE, lambda_NCE 10, flip-equivariance, 150 + 50 epochs."""

    lambda_nce: float = opt(10.0, "weight of the PatchNCE loss (FastCUT: lambda_NCE 10)")
    nce_idt: bool = opt(False, "identity PatchNCE on target-domain images (FastCUT: off)")
    flip_equivariance: bool = opt(True, "flip the input half the time and the output's features back "
                                        "(FastCUT: on)")

    TRAIN_DEFAULTS: ClassVar[dict] = {**_TRANSLATION_TRAIN, "epochs": 150, "epochs_decay": 50}

