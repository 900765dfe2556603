"""Speed choices made by measurement on the machine at hand: the precision that `auto` means on the CPU, and
which of our fp32 speed paths (Winograd, channels-last narrow convolutions) a net takes.

Why measure: CPUs with native bf16 (Intel AMX-BF16 and AVX512-BF16, AMD AVX512-BF16, Arm BF16) run bf16
matrix work several times faster than fp32, but a net also spends time in instance norm, padding and
element-wise work that autocast keeps in fp32, and bf16 gives up the fp32 speed paths; and whether a speed
path beats oneDNN's own kernels depends on the CPU and the layer shapes. So each candidate is timed once on
a copy of the net at the shape it will run, like cuDNN's benchmark mode, and the answer is kept in the cache
folder (`precision.json`), keyed by CPU model, flags, threads, torch version, net, shape and candidates.

Rules: a speed path is taken only where it measured faster than the plain PyTorch path (never slower than
plain on this machine); bf16 only on a CPU with bf16 arithmetic (elsewhere it is emulated, 2-4x slower) and
only where it is `MIN_GAIN` times faster than the best fp32 candidate. Explicit settings are never measured.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

BF16_FLAGS = ("amx_bf16", "avx512_bf16", "bf16")  # x86 (Intel AMX, AVX-512 BF16), Arm (FEAT_BF16)
MIN_GAIN = 1.15  # bf16 must win by this factor: a near tie is not worth the rounding (8 bits of mantissa)
MIN_PATH_GAIN = 1.03  # a speed path must beat the plain path by more than timing noise
CACHE_FORMAT = 2
# A speed path: (its name, a function that switches a net copy to it in place and returns how many layers took it)
Path_ = tuple[str, Callable[[nn.Module], int]]


@functools.cache  # read once per process: every translator load and training run asks
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
    paths: frozenset[str] = field(default_factory=frozenset)  # the fp32 speed paths to take
    reason: str = ""

    @property
    def name(self) -> str:
        return "fp32" if self.dtype is None else "bf16"


def precast_weights(net: nn.Module, dtype: torch.dtype) -> int:
    """Store the weights autocast would cast on every call (convolutions, linear layers) in `dtype` once, for
    inference: autocast's own cast is then a no-op, and its result is unchanged (norm layers and every other
    op keep autocast's rules). Autocast caches such casts only for weights that require grad, so a frozen
    net would otherwise pay them on every call. -> how many layers were cast."""
    kinds = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)
    layers = [m for m in net.modules() if isinstance(m, kinds)]
    for m in layers:
        m.to(dtype)
    return len(layers)


def cache_file() -> Path:
    from translate.storage.cache import cache_dir

    return cache_dir() / "precision.json"


def read_cache() -> dict:
    try:
        doc = json.loads(cache_file().read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) and doc.get("format") == CACHE_FORMAT else {}


def _remember(key: str, entry: dict) -> None:
    from translate.storage.atomic import atomic_write_text

    doc = read_cache() or {"format": CACHE_FORMAT}
    doc[key] = entry
    try:
        atomic_write_text(cache_file(), json.dumps(doc, indent=1))
    except OSError:  # a read-only cache only costs the next run a measurement
        pass


def _signature(net: nn.Module, shape: tuple[int, ...], training: bool, candidates: list[str]) -> str:
    from translate.device import cpu_model

    parts = [cpu_model(), ",".join(cpu_bf16_flags()), str(torch.get_num_threads()), torch.__version__,
             type(net).__name__, str(tuple(shape)), "train" if training else "infer", ",".join(candidates)]
    parts += [f"{k}:{tuple(v.shape)}" for k, v in net.state_dict().items()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def time_step(net: nn.Module, x: torch.Tensor, dtype: torch.dtype | None, training: bool, reps: int = 3) -> float:
    """Best-of-`reps` seconds of one forward (and, training, backward) pass of `net` on `x` under autocast."""
    best = float("inf")
    for i in range(reps + 1):  # the first call warms the allocator and oneDNN's primitive cache
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            if training:
                net(x).float().square().mean().backward()
            else:
                with torch.no_grad():
                    net(x)
        if i:
            best = min(best, time.perf_counter() - start)
    return best


def measure(net: nn.Module, shape: tuple[int, ...], training: bool, candidates: dict[str, list[Path_]],
            bf16: bool) -> dict[str, float]:
    """Seconds per pass of copies of `net` for each fp32 candidate (a set of speed paths) and, with `bf16`,
    plain bf16 autocast; random inputs of `shape`. The caller's RNG and the net are left as they were."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        x = torch.randn(shape)
        plain = copy.deepcopy(net).cpu().train(training)
        times = {}
        for name, paths in candidates.items():
            variant = copy.deepcopy(plain)
            for _, switch in paths:
                switch(variant)
            times[name] = time_step(variant, x, None, training)
        if bf16:
            if not training:  # inference runs with the weights pre-cast
                precast_weights(plain, torch.bfloat16)
            times["bf16"] = time_step(plain, x, torch.bfloat16, training)
        return times


def best_fp32(times: dict[str, float]) -> str:
    """The fp32 candidate to take from timed `times`: a speed path must beat the plain path (and the best so
    far) by MIN_PATH_GAIN, not merely tie with it."""
    best = "plain"
    for name, seconds in times.items():
        if name != "bf16" and seconds * MIN_PATH_GAIN < times[best]:
            best = name
    return best


def takes_bf16(times: dict[str, float]) -> bool:
    """Whether timed `times` (with a "bf16" entry) choose bf16 over the best fp32 candidate."""
    return "bf16" in times and times["bf16"] * MIN_GAIN <= times[best_fp32(times)]


def choose(net: nn.Module, shape: tuple[int, ...], training: bool, auto_paths: list[Path_] = (),
           fixed_paths: list[Path_] = (), precision: str = "auto", use_cache: bool = True) -> Choice:
    """What to run `net` on inputs of `shape` (N, C, H, W) with, on this CPU.

    `auto_paths` are each timed on and off, `fixed_paths` always taken in fp32; `precision` "auto" also times
    bf16 autocast where the CPU has bf16 arithmetic ("fp32": fp32 only). The net itself is never changed."""
    flags = cpu_bf16_flags() if precision == "auto" else []
    fixed = frozenset(name for name, _ in fixed_paths)
    if not auto_paths and not flags:
        why = "this CPU has no bf16 arithmetic (no amx_bf16, avx512_bf16 or bf16 flag)" if precision == "auto" \
            else "asked for"
        return Choice(None, fixed, f"fp32: {why}")
    candidates = {}
    for n in range(len(auto_paths) + 1):
        for subset in itertools.combinations(auto_paths, n):
            name = "+".join(sorted(p for p, _ in subset)) or "plain"
            candidates[name] = list(fixed_paths) + list(subset)
    key = _signature(net, shape, training, [*candidates, *(["bf16"] if flags else []), *sorted(fixed)])
    entry = read_cache().get(key) if use_cache else None
    wanted = [*candidates, *(["bf16"] if flags else [])]
    if not (isinstance(entry, dict) and all(isinstance(entry.get("times", {}).get(k), float) for k in wanted)):
        from translate.device import cpu_model

        entry = {"times": measure(net, shape, training, candidates, bool(flags)), "cpu": cpu_model(),
                 "net": type(net).__name__, "shape": list(shape), "training": training,
                 "threads": torch.get_num_threads()}
        if use_cache:
            _remember(key, entry)
    times = entry["times"]
    best = best_fp32(times)
    paths = fixed | (frozenset() if best == "plain" else frozenset(best.split("+")))
    timing = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in times.items())
    if flags and takes_bf16(times):
        return Choice(torch.bfloat16, frozenset(), f"bf16 autocast: measured on this CPU ({', '.join(flags)}): "
                                                   f"bf16 {times[best] / times['bf16']:.2f}x the speed of fp32 "
                                                   f"({timing})")
    why = (f"bf16 {times[best] / times['bf16']:.2f}x the speed of fp32, below {MIN_GAIN:.2f}x" if flags else
           "no bf16 arithmetic" if precision == "auto" else "asked for")
    taken = "+".join(sorted(paths)) or "no speed path"
    return Choice(None, paths, f"fp32 with {taken}: measured on this CPU, {why} ({timing})")
