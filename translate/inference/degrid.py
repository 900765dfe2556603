"""Remove the grid a generator's up-sampling lattice paints (`ImageTranslator(degrid=True)`, `--degrid`).

A ResNet generator up-samples with two stride-2 transposed convolutions: each output pixel's value depends on
its position in a 4x4 cell of the output lattice (their kernels overlap unevenly: Odena et al. 2016,
"Deconvolution and checkerboard artifacts"). An under-trained or CPU-sized net leaves that as a faint grid of
period 2 and 4 pixels over the whole frame, in skies most visibly, and nothing in the CycleGAN objective
opposes it (its discriminators score a real photo with a grid added as real).

The grid is the part of the net's change to the photo that depends on the lattice phase alone: at each of the
period x period positions in the cell, the local mean of the change (over `cells` x `cells` cells around it)
minus the mean over all positions. Subtracting it leaves the change's content everywhere except in narrow
bands around the lattice frequencies (k/period cycles per pixel). Natural detail put there by the net loses
about 10% of its energy with 3 x 3 cells (the share of white noise: (1 - 1/period^2) / cells^2); a grid whose
strength varies slowly over the frame goes entirely. The photo itself is never filtered: only the change, so
the input's own fine texture stays as it was.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from translate.errors import CheckpointError


def lattice_period(spec: dict, where: str) -> int:
    """The period of the up-sampling lattice of the net a spec describes; a CheckpointError where there is
    none to take out (a U-Net up-samples at every scale) or the output is not an image of the input's kind."""
    from translate.registry import NETS

    kw = spec.get("kwargs", {})
    period = getattr(NETS.get(spec["name"]), "lattice", None) if spec.get("name") in NETS.names() else None
    if not period or kw.get("in_channels", 3) != kw.get("out_channels", 3):
        raise CheckpointError(f"{where}: --degrid works on ResNet generators that map an image to one of the "
                              f"same channels (CycleGAN, CUT), not a {spec.get('name')!r}; drop --degrid")
    return period


def lattice_component(d: Tensor, period: int, cells: int = 3) -> Tensor:
    """The part of d (N, C, H, W; H and W multiples of `period`) that repeats with the lattice phase."""
    n, c, h, w = d.shape
    # (N, C * period^2, H / period, W / period): one plane per position in the cell
    phases = d.reshape(n, c, h // period, period, w // period, period).permute(0, 1, 3, 5, 2, 4)
    phases = phases.reshape(n, c * period * period, h // period, w // period)
    pad = cells // 2
    mode = "reflect" if min(h, w) // period > pad else "replicate"  # reflect needs the pad < the side
    local = F.avg_pool2d(F.pad(phases, (pad,) * 4, mode=mode), cells, stride=1)
    local = local.view(n, c, period * period, h // period, w // period)
    grid = local - local.mean(2, keepdim=True)
    return grid.view(n, c, period, period, h // period, w // period).permute(0, 1, 4, 2, 5, 3).reshape(n, c, h, w)


def remove_lattice(y: Tensor, x: Tensor, period: int, cells: int = 3) -> Tensor:
    """The net's output y with the lattice component of its change to the input x taken out."""
    y = y.float()
    return (y - lattice_component(y - x.float(), period, cells)).clamp_(-1, 1)
