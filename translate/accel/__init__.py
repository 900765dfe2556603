"""Measured CPU speed paths, behind one entry point that the trainer and inference both call.

- winograd.py: 3x3 stride-1 convolutions as Winograd F(4x4, 3x3), for inference and (with its own backward
  pass) for training. Results stay within float rounding of direct convolution.
- narrow_conv.py: convolutions with 1-8 output channels run on channels-last tensors (inference).
- Transparent huge pages for torch's large CPU buffers: PyTorch reads THP_MEM_ALLOC_ENABLE once, at its
  first large allocation, so it must be set before torch is imported. The `translate` command sets it for
  its own process; importing the library changes nothing. A Python caller opts in with
  `THP_MEM_ALLOC_ENABLE=1 python ...` (or os.environ before importing torch).

Each path is on by default only where it measured faster (docs/performance.md gives the figures and the
commands), and each has an off switch (`winograd`, `narrow`).
"""

from __future__ import annotations

import torch
from torch import nn

from translate.errors import OptionError
from translate.registry import WINOGRAD_CHOICES


def use_winograd(device: torch.device, autocast: torch.dtype | None, compiled: bool, winograd: str | bool) -> bool:
    """The Winograd rule: "auto" means fp32 on the CPU without torch.compile (cuDNN picks its own algorithms
    on GPUs; autocast and compile have kernels of their own)."""
    if isinstance(winograd, bool):
        return winograd
    if winograd not in WINOGRAD_CHOICES:
        raise OptionError(f"`winograd` {winograd!r}: valid: {', '.join(WINOGRAD_CHOICES)}")
    if winograd == "auto":
        return device.type == "cpu" and autocast is None and not compiled
    return winograd == "on"


def accelerate(net: nn.Module, device: torch.device, autocast: torch.dtype | None = None, training: bool = False,
               winograd: str | bool = "auto", narrow: bool | None = None, compiled: bool = False,
               channels_last: bool = False) -> dict[str, int]:
    """Switch `net`'s layers (in place; parameters and state-dict keys unchanged) to the speed paths that fit.

    Training: Winograd on layers of >= MIN_TRAIN_CHANNELS channels ("on": every 3x3 stride-1 layer); no
    narrow-conv switch. Inference: Winograd on every 3x3 stride-1 layer, and narrow output convolutions
    channels-last (default: fp32 on the CPU unless the whole net is channels-last already).
    Returns how many layers each path took.
    """
    done = {"winograd": 0, "narrow": 0}
    if use_winograd(device, autocast, compiled, winograd):
        from translate.accel import winograd as wg

        if training:
            explicit = winograd is True or winograd == "on"
            done["winograd"] = wg.use_winograd_training(net, min_channels=1 if explicit else wg.MIN_TRAIN_CHANNELS)
        else:
            done["winograd"] = wg.use_winograd(net)
    if narrow is None:
        narrow = not training and device.type == "cpu" and autocast is None and not channels_last
    if narrow:
        from translate.accel.narrow_conv import use_channels_last_narrow_convs

        done["narrow"] = use_channels_last_narrow_convs(net)
    return done
