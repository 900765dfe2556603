"""`--precision auto` on the CPU: bf16 autocast where the CPU has bf16 arithmetic and a measurement on the
net's own shapes shows it faster, fp32 everywhere else.

Why measure: CPUs with native bf16 (Intel AMX-BF16 and AVX512-BF16, AMD AVX512-BF16, Arm BF16) run bf16
matrix work several times faster than fp32, but a net also spends time in instance norm, padding and
element-wise work that autocast keeps in fp32, and bf16 gives up our fp32 Winograd path. Whether the sum
wins depends on the CPU, the net and the image size, so it is timed once, here, like cuDNN's benchmark mode:
the fp32 path as it would run (with its speed paths) against plain bf16 autocast, on a copy of the net, and
the answer is kept in the cache folder, keyed by CPU model, flags, threads, torch version, net and shape.
CPUs without bf16 arithmetic never get bf16 from `auto` (it is emulated there, 2-4x slower).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

BF16_FLAGS = ("amx_bf16", "avx512_bf16", "bf16")  # x86 (Intel AMX, AVX-512 BF16), Arm (FEAT_BF16)
# bf16 must win by this factor: a near tie is not worth the rounding (bf16 keeps 8 bits of mantissa)
MIN_GAIN = 1.15
CACHE_FORMAT = 1


def cpu_bf16_flags() -> list[str]:
    """The bf16 features this CPU reports (/proc/cpuinfo flags on x86, Features on Arm); [] elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return [f for f in BF16_FLAGS if f in flags]


@dataclass(frozen=True)
class Choice:
    dtype: torch.dtype | None  # None: fp32
    reason: str

    @property
    def name(self) -> str:
        return "fp32" if self.dtype is None else "bf16"


def _signature(net: nn.Module, shape: tuple[int, ...], training: bool) -> str:
    from translate.device import cpu_model

    parts = [cpu_model(), ",".join(cpu_bf16_flags()), str(torch.get_num_threads()), torch.__version__,
             type(net).__name__, str(tuple(shape)), "train" if training else "infer"]
    parts += [f"{k}:{tuple(v.shape)}" for k, v in net.state_dict().items()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _cache_file() -> Path:
    from translate.cache import cache_dir

    return cache_dir() / "precision.json"


def _read_cache() -> dict:
    try:
        doc = json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) and doc.get("format") == CACHE_FORMAT else {}


def _remember(key: str, entry: dict) -> None:
    from translate.atomic import atomic_write_text

    doc = _read_cache() or {"format": CACHE_FORMAT}
    doc[key] = entry
    try:
        atomic_write_text(_cache_file(), json.dumps(doc, indent=1))
    except OSError:  # a read-only cache only costs the next run a measurement
        pass


def time_step(net: nn.Module, x: torch.Tensor, dtype: torch.dtype | None, training: bool, reps: int = 3) -> float:
    """Best-of-`reps` seconds of one forward (and, training, backward) pass of `net` on `x` under autocast."""
    best = float("inf")
    for i in range(reps + 1):  # the first call warms the allocator and oneDNN's primitive cache
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            if training:
                y = net(x.requires_grad_(False))
                y.float().square().mean().backward()
            else:
                with torch.no_grad():
                    net(x)
        if i:
            best = min(best, time.perf_counter() - start)
    return best


def choose(net: nn.Module, shape: tuple[int, ...], training: bool,
           fp32_path: Callable[[nn.Module], nn.Module] | None = None, use_cache: bool = True) -> Choice:
    """The precision `auto` means on this CPU for `net` on inputs of `shape` (N, C, H, W).

    `fp32_path(copy)` turns a copy of the net into what fp32 would run (our speed paths); the net itself is
    never changed. The measurement takes a few forward (and backward) passes, once per machine and shape."""
    flags = cpu_bf16_flags()
    if not flags:
        return Choice(None, "fp32: this CPU has no bf16 arithmetic (no amx_bf16, avx512_bf16 or bf16 flag)")
    key = _signature(net, shape, training)
    entry = _read_cache().get(key) if use_cache else None
    if not (isinstance(entry, dict) and isinstance(entry.get("fp32"), float) and isinstance(entry.get("bf16"), float)):
        from translate.device import cpu_model

        entry = {**measure(net, shape, training, fp32_path), "cpu": cpu_model(), "net": type(net).__name__,
                 "shape": list(shape), "training": training, "threads": torch.get_num_threads()}
        if use_cache:
            _remember(key, entry)
    fp32, bf16 = entry["fp32"], entry["bf16"]
    faster = fp32 / bf16 if bf16 > 0 else 0.0
    what = f"measured on this CPU ({', '.join(flags)}): bf16 {faster:.2f}x the speed of fp32"
    if faster >= MIN_GAIN:
        return Choice(torch.bfloat16, f"bf16 autocast: {what}")
    return Choice(None, f"fp32: {what} (bf16 is used from {MIN_GAIN:.2f}x)")


def measure(net: nn.Module, shape: tuple[int, ...], training: bool,
            fp32_path: Callable[[nn.Module], nn.Module] | None = None) -> dict:
    """Seconds per pass of a copy of `net` in fp32 (through `fp32_path`) and in bf16 autocast, on random
    inputs of `shape`; the caller's RNG and the net are left as they were."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        x = torch.randn(shape)
        plain = copy.deepcopy(net).cpu().train(training)
        fast = fp32_path(copy.deepcopy(plain)) if fp32_path else plain
        return {"fp32": time_step(fast, x, None, training), "bf16": time_step(plain, x, torch.bfloat16, training)}
