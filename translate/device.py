"""Where nets run and in which precision: one rule for the trainer, inference and every command."""

from __future__ import annotations

import torch

from translate.errors import OptionError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def resolve_device(name: str) -> torch.device:
    """"auto" is the first CUDA GPU when one is visible, else the CPU; "cuda" without a GPU is an error."""
    import re

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", str(name)):
        raise OptionError(f"`device` {name!r}: use auto, cpu, cuda or cuda:N")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise OptionError(f"`device` {name} was given but no CUDA GPU is visible; use `device` cpu (or auto)")
    return torch.device(name)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32, for a precision that needs no measurement: "auto" here is
    bf16 on CUDA (fp16 where bf16 is missing) and fp32 on the CPU; callers that can time their net resolve
    "auto" on the CPU with accel/autotune.py instead. fp16 needs CUDA (on a CPU it is emulated, far slower)."""
    if precision not in PRECISIONS:
        raise OptionError(f"unknown `precision` {precision!r}; valid: {', '.join(PRECISIONS)}")
    if precision == "auto":
        if device.type != "cuda":
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if precision == "fp16" and device.type != "cuda":
        raise OptionError("`precision` fp16 needs a CUDA GPU (on the CPU it runs hundreds of times slower); use fp32")
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def dtype_name(dtype: torch.dtype | None) -> str:
    """"fp32" (None: no autocast), "bf16", "fp16": the names the `precision` option takes."""
    return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, str(dtype))


def device_name(device: torch.device) -> str:
    """What a person calls the device: "NVIDIA H100 80GB HBM3" or "CPU (AMD EPYC 7B13), 2 threads"."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"CPU ({cpu_model()}), {threads} thread{'s' * (threads != 1)}"


def cpu_model() -> str:
    import platform
    from pathlib import Path

    try:  # Linux names the model here; platform.processor() is often empty there
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
