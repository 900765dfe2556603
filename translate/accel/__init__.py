"""Measured CPU speed paths, behind one entry point that the trainer and inference both call.

- winograd.py: 3x3 stride-1 convolutions as Winograd F(4x4, 3x3), for inference and (with its own backward
  pass) for training. Results stay within float rounding of direct convolution.
- narrow_conv.py: convolutions with 1-8 output channels run on channels-last tensors (inference).
- Transparent huge pages for torch's large CPU buffers: PyTorch reads THP_MEM_ALLOC_ENABLE once, at its
  first large allocation, so it must be set before torch is imported. The `translate` command sets it for
  its own process; importing the library changes nothing. A Python caller opts in with
  `THP_MEM_ALLOC_ENABLE=1 python ...` (or os.environ before importing torch).

By default each path, and bf16 autocast on CPUs with bf16 arithmetic, is timed on the net's own shapes once
per machine and taken only where it measured faster (autotune.py; docs/performance.md has the figures and
the commands); each has a switch that skips the timing (`winograd`, `narrow`, `precision`).
"""

from __future__ import annotations

import torch
from torch import nn

from translate.errors import OptionError
from translate.registry import WINOGRAD_CHOICES


def _winograd(training: bool, every_layer: bool):
    def switch(net: nn.Module) -> int:
        from translate.accel import winograd as wg

        if training:
            return wg.use_winograd_training(net, min_channels=1 if every_layer else wg.MIN_TRAIN_CHANNELS)
        return wg.use_winograd(net)

    return "winograd", switch


def _narrow(net: nn.Module) -> int:
    from translate.accel.narrow_conv import use_channels_last_narrow_convs

    return use_channels_last_narrow_convs(net)


def speed_paths(device: torch.device, training: bool, winograd: str | bool = "auto", narrow: bool | None = None,
                compiled: bool = False, channels_last: bool = False):
    """(paths to time on and off, paths always taken) for an fp32 net on `device`.

    Winograd ("auto": timed; on/True: taken, every 3x3 stride-1 layer; off/False: not): CPU only, and not
    under torch.compile (inductor has kernels of its own); training takes layers of >= MIN_TRAIN_CHANNELS
    unless forced on. Narrow channels-last convolutions (None: timed; True/False): CPU inference only, and
    not when the whole net runs channels-last already. cuDNN picks its own algorithms on GPUs."""
    if isinstance(winograd, str) and winograd not in WINOGRAD_CHOICES:
        raise OptionError(f"`winograd` {winograd!r}: valid: {', '.join(WINOGRAD_CHOICES)}")
    timed, fixed = [], []
    if device.type == "cpu" and not compiled and winograd not in (False, "off"):
        forced = winograd is True or winograd == "on"
        (fixed if forced else timed).append(_winograd(training, every_layer=forced))
    if device.type == "cpu" and not training and not channels_last and narrow is not False:
        (fixed if narrow else timed).append(("narrow", _narrow))
    return timed, fixed


def apply_paths(net: nn.Module, paths, names) -> dict[str, int]:
    """Switch `net`'s layers (in place; parameters and state-dict keys unchanged) to the named speed paths;
    -> how many layers each took."""
    done = {"winograd": 0, "narrow": 0}
    for name, switch in paths:
        if name in names:
            done[name] = switch(net)
    return done


def accelerate_training(model: nn.Module, device: torch.device, precision: str, winograd: str, compiled: bool,
                        probe, is_main: bool = True, broadcast=None):
    """`accelerate` for a training run: what is left to auto is timed on `probe` ((net, input shape), the
    model's speed probe; None: nothing to time) by the main process and `broadcast` to the others, so every
    process runs the same kernels. -> (Choice, layers per path)."""
    from translate.accel.autotune import Choice, choose

    timed, fixed = speed_paths(device, True, winograd, narrow=False, compiled=compiled)
    if device.type != "cpu" or precision not in ("auto", "fp32") or (probe is None and not timed):
        return accelerate(model, device, precision, training=True, winograd=winograd, narrow=False, compiled=compiled)
    if probe is None:
        choice = Choice(None, frozenset(n for n, _ in fixed + timed), "fp32: this model offers no net to time")
    else:
        choice = choose(*probe, training=True, auto_paths=timed, fixed_paths=fixed, precision=precision) \
            if is_main else None
    if broadcast is not None:  # the main process's choice for everyone: [bf16?, winograd?]
        flags = torch.tensor([int(choice is not None and choice.dtype is not None),
                              int(choice is not None and "winograd" in choice.paths)], dtype=torch.int64)
        broadcast([flags])
        paths = frozenset({"winograd"} if flags[1] else set()) | frozenset(n for n, _ in fixed)
        choice = Choice(torch.bfloat16 if flags[0] else None, paths,
                        choice.reason if choice is not None else "chosen by the main process")
    return choice, apply_paths(model, timed + fixed, choice.paths)


def accelerate(net: nn.Module, device: torch.device, precision: str = "auto", training: bool = False,
               winograd: str | bool = "auto", narrow: bool | None = None, compiled: bool = False,
               channels_last: bool = False, shape: tuple[int, ...] | None = None):
    """Choose the precision and speed paths of `net` for inputs of `shape` (timing the automatic choices on
    this machine, translate/accel/autotune.py) and switch `net` to them. -> (Choice, layers per path)."""
    from translate.accel.autotune import Choice, choose
    from translate.device import autocast_dtype, dtype_name

    timed, fixed = speed_paths(device, training, winograd, narrow, compiled, channels_last)
    if device.type == "cpu" and precision in ("auto", "fp32") and shape is not None:
        choice = choose(net, shape, training, timed, fixed, precision)
    else:
        dtype = autocast_dtype(precision, device)
        # no timing: explicit precisions, GPUs (auto = bf16 there), callers without a shape (fp32 paths as asked)
        on = {name for name, _ in fixed} | ({name for name, _ in timed} if dtype is None else set())
        why = "asked for" if precision != "auto" else "auto on CUDA" if device.type == "cuda" else "no shape to time"
        choice = Choice(dtype, frozenset(on if dtype is None else ()), f"{dtype_name(dtype)}: {why}")
    return choice, apply_paths(net, [*timed, *fixed], choice.paths)
