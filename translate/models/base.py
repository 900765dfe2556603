"""The model contract: a GanModel builds its nets and answers two questions, d_loss and g_loss.

Models never step optimizers, call backward, move themselves between devices or print: the trainer
does all of that, once, for every model (translate/training/trainer.py), so a model reads as its paper's
losses and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from translate.data.info import DataInfo
from translate.errors import OptionError
from translate.models.objectives import build_objective, gradient_penalty, r1_penalty


@dataclass
class LossOutput:
    """total: the scalar to minimise; terms: named detached parts for the log; fakes: generator outputs a later
    phase of the step may reuse (see Phase.fakes_from): detached ones from G for D (CycleGAN), or ones that
    still carry G's graph for G (pix2pix, whose D phase keeps G's graph with Phase.graph_for)."""

    total: Tensor
    terms: dict[str, Tensor]
    fakes: Any = None


@dataclass(frozen=True)
class Phase:
    """One part of a training step, as data: the trainer runs a model's phases in order, one small loop.

    roles: whose optimizers step on this loss (one backward pass; several roles when one loss trains them
    together, e.g. a generator and a head that only it uses). loss: the model method that computes it,
    called as loss(batch, **kwargs). repeat: updates in a row (Algorithm 1's k). batch: "fresh" draws a new
    minibatch for every update, "last" reuses the previous update's. fakes_from: pass `fakes=` the output of
    that earlier phase (its index). graph_for: roles whose graph the last repeat's output keeps, for a later
    phase that reuses it.
    """

    roles: tuple[str, ...]
    loss: str
    repeat: int = 1
    batch: str = "fresh"
    fakes_from: int | None = None
    graph_for: tuple[str, ...] = ()


def algorithm1(d_steps: int) -> list[Phase]:
    """Goodfellow et al. 2014, Algorithm 1: k discriminator updates, each on a fresh minibatch, then one
    generator update on a fresh minibatch."""
    return [Phase(("D",), "d_loss", repeat=d_steps), Phase(("G",), "g_loss")]


class GanModel(nn.Module):
    """Base class. Subclasses build their nets in __init__ and implement the losses; the registry names them."""

    def __init__(self, cfg, info: DataInfo):
        super().__init__()
        self.cfg, self.info = cfg, info
        self.objective = build_objective(cfg.objective)

    # -- the contract -------------------------------------------------------------------------
    def roles(self) -> dict[str, list[nn.Parameter]]:
        """Role -> the parameters one optimizer updates ("G", "D", and any others a model needs)."""
        raise NotImplementedError

    def role_settings(self, role: str) -> str:
        """Which learning rate and betas of the run a role takes: "g" (lr_g, betas_g) or "d" (lr_d, betas_d)."""
        return "d" if role.startswith("D") else "g"

    def phases(self, d_steps: int) -> list[Phase]:
        """The training step as data (see Phase); Algorithm 1 unless a model needs another order."""
        return algorithm1(d_steps)

    def setup(self, batch: dict) -> None:
        """Build nets whose shapes are known only after a first forward pass (a real batch on the training
        device). Called once, before the optimizers are made and before a resumed run restores its state."""

    def d_loss(self, batch: dict, fakes: Any = None) -> LossOutput:
        raise NotImplementedError

    def g_loss(self, batch: dict, fakes: Any = None) -> LossOutput:
        raise NotImplementedError

    def export(self) -> dict[str, nn.Module]:
        """The inference nets (what a bundle holds and what EMA averages), by name."""
        raise NotImplementedError

    def export_config(self) -> dict:
        """Everything inference needs to rebuild `export()` from config.json alone."""
        raise NotImplementedError

    def speed_probe(self, batch_size: int) -> tuple[nn.Module, tuple[int, ...]] | None:
        """(the net that dominates a training step, the shape of its input batch) for `precision` auto to time
        fp32 against bf16 on; None when the model offers none (it then trains in fp32 on the CPU)."""
        return None

    def bundle_info(self) -> dict:
        """Facts about the training run that a bundle records beside export_config (none by default)."""
        return {}

    def fixed_inputs(self, n: int, generator: torch.Generator, preview=None) -> dict:
        """Inputs for the sample grids, drawn once per run from `generator` (CPU); `preview(k)` returns k
        fixed real examples (a batch dict). An "nrow" entry sets the grids' row length."""
        raise NotImplementedError

    def reals(self, preview, n: int) -> tuple[dict[str, Tensor], int]:
        """What reals.png shows at step 0 ((named tensors, row length)): n real examples by default."""
        return {"reals": preview(n)["x"]}, 8

    def grid_reference(self, preview, n: int) -> Tensor | None:
        """Real samples drawn under every sample grid (point clouds), or None."""
        return None

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


def check_phases(phases: list[Phase], roles: dict, model: str) -> None:
    """Every phase steps known roles, and every role is stepped by some phase."""
    stepped = {r for p in phases for r in p.roles}
    unknown = stepped - set(roles) | {r for p in phases for r in p.graph_for} - set(roles)
    if unknown or set(roles) - stepped:
        raise OptionError(f"model {model}: its phases step {sorted(stepped)} but its roles are {sorted(roles)}")
    for i, p in enumerate(phases):
        if p.fakes_from is not None and not 0 <= p.fakes_from < i:
            raise OptionError(f"model {model}: phase {i} reuses the output of phase {p.fakes_from}, which does not "
                              f"run before it")
