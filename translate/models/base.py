"""The model contract: a GanModel builds its nets and answers two questions, d_loss and g_loss.

Models never step optimizers, call backward, move themselves between devices or print: the trainer
does all of that, once, for every model (DESIGN.md, "Models compute losses; the trainer steps").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from translate.objectives import build_objective, gradient_penalty, r1_penalty


@dataclass
class DataInfo:
    """What the model needs to know about its data to size its nets."""

    kind: str  # "points" | "images" | "labeled" | "paired" | "unpaired"
    name: str = ""
    dim: int = 0  # points: coordinates per sample
    channels: int = 0  # images; for translation, the input side "A"
    out_channels: int = 0  # translation: the output side "B"
    image_size: int = 0
    class_names: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


@dataclass
class LossOutput:
    """total: the scalar to minimise; terms: named detached parts for the log; fakes: generator outputs
    the other role's update may reuse: detached ones from G for D (CycleGAN's G-first order), or, from D,
    ones that still carry G's graph for G (pix2pix's official order, see `GanModel.g_reuses_d_fakes`)."""

    total: Tensor
    terms: dict[str, Tensor]
    fakes: Any = None


class GanModel(nn.Module):
    """Base class. Subclasses set `name`, build their nets in __init__ and implement the losses."""

    name = ""
    # "d_first": k D updates then one G update (Goodfellow et al. 2014, Algorithm 1).
    # "g_first": G update, then D reuses its detached fakes (with k > 1 the trainer falls back to d_first).
    update_order = "d_first"
    # d_first only: G is updated on the batch of the last D update and reuses the fakes that d_loss made
    # (built with G's graph kept, returned in LossOutput.fakes), as the official pix2pix does: one G forward
    # per step instead of two, so BatchNorm statistics and dropout masks are those of a single pass.
    g_reuses_d_fakes = False

    def __init__(self, cfg, info: DataInfo):
        super().__init__()
        self.cfg, self.info = cfg, info
        self.objective = build_objective(cfg.objective)

    # -- the contract -------------------------------------------------------------------------
    def roles(self) -> dict[str, list[nn.Parameter]]:
        raise NotImplementedError

    def d_loss(self, batch: dict, fakes: Any = None) -> LossOutput:
        raise NotImplementedError

    def g_loss(self, batch: dict) -> LossOutput:
        """(Models with g_reuses_d_fakes also take `fakes=`, the `fakes` of their last d_loss.)"""
        raise NotImplementedError

    def export(self) -> dict[str, nn.Module]:
        """The inference nets (what a bundle holds and what EMA averages), by name."""
        raise NotImplementedError

    def export_config(self) -> dict:
        """Everything inference needs to rebuild `export()` from config.json alone."""
        raise NotImplementedError

    def fixed_inputs(self, n: int, generator: torch.Generator, preview=None) -> dict:
        """Inputs for the sample grids, drawn once per run from `generator` (CPU); `preview(k)` returns k
        fixed real examples (a batch dict) for models that translate real images."""
        raise NotImplementedError

    def visuals(self, fixed: dict, nets: dict[str, nn.Module] | None = None) -> dict[str, Tensor]:
        """Tensors for the sample grid, computed with `nets` (e.g. the EMA copies) or the live ones."""
        raise NotImplementedError

    def extra_state(self) -> dict[str, Tensor]:
        """Non-parameter state to checkpoint (e.g. image pools)."""
        return {}

    def load_extra_state(self, tensors: dict[str, Tensor]) -> None:
        pass

    # -- shared helpers -----------------------------------------------------------------------
    def adversarial_d_terms(self, D: nn.Module, real: Tensor, fake: Tensor, *cond: Tensor) -> dict:
        """The objective's D terms on (real, fake), plus WGAN-GP and R1 penalties when configured."""
        cfg = self.cfg
        if cfg.r1:
            real = real.detach().requires_grad_(True)
        real_logits, fake_logits = D(real, *cond), D(fake.detach(), *cond)
        terms = self.objective.d_terms(real_logits, fake_logits)
        if self.objective.default_gp_weight:
            terms["gp"] = cfg.gp_weight * gradient_penalty(D, real, fake, *cond)
        if cfg.r1:
            terms["r1"] = 0.5 * cfg.r1 * r1_penalty(real_logits, real)
        return terms


def loss_output(terms: dict[str, Tensor], fakes: Any = None) -> LossOutput:
    total = sum(terms.values())
    return LossOutput(total, {k: v.detach() for k, v in terms.items()}, fakes)


def net_spec(name: str, **kwargs) -> dict:
    """A registry name plus constructor arguments: enough to rebuild a net (diffusers-style)."""
    return {"name": name, "kwargs": kwargs}


def build_net(spec: dict) -> nn.Module:
    from translate.registry import NETS

    return NETS.get(spec["name"])(**spec["kwargs"])
