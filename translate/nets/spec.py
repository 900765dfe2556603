"""A net described as data: its registry name plus constructor arguments (diffusers-style), enough to
rebuild it with no other information. Bundles store these specs; training and inference build from them.

A spec read from a file is checked before anything is allocated (`build_net(spec, where=FILE)`): a known
net name, keywords its constructor takes, JSON scalars of sane size, and a parameter count found by
building the net on the meta device (no memory) first. A crafted config.json gets one CheckpointError
naming the file and the field, never a traceback or a machine brought down by `ngf: 100000`.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from translate.errors import CheckpointError
from translate.registry import NETS

# Far above every published layout (the largest, CycleGAN's ResNet-9 at ngf 64, has 11.4 M parameters),
# far below what would exhaust memory.
MAX_PARAMETERS = 200_000_000
# Integer arguments bounded before the meta build (a billion residual blocks would take hours even there).
INT_LIMITS = {"n_blocks": 64, "num_downs": 12, "n_layers": 16, "n_layers_d": 16}
INT_LIMIT = 16384  # widths, channels, latent sizes


def net_spec(name: str, **kwargs) -> dict:
    return {"name": name, "kwargs": kwargs}


def build_net(spec: dict, where: str = "") -> nn.Module:
    """The net a spec describes. `where` (the file it came from) turns on the checks for untrusted specs."""
    if not where:
        return NETS.get(spec["name"])(**spec["kwargs"])
    cls = _checked(spec, where)
    try:
        with torch.device("meta"):
            probe = cls(**spec["kwargs"])
    except (TypeError, ValueError, KeyError, IndexError, AssertionError, RuntimeError) as e:
        raise CheckpointError(f"{where}: net {spec['name']!r} cannot be built from its kwargs ({e})") from None
    count = sum(p.numel() for p in probe.parameters())
    if count > MAX_PARAMETERS:
        raise CheckpointError(f"{where}: net {spec['name']!r} would have {count:,} parameters (at most "
                              f"{MAX_PARAMETERS:,} are loaded); the config is damaged or not ours")
    return cls(**spec["kwargs"])


def _checked(spec, where: str) -> type:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not isinstance(spec.get("kwargs"), dict):
        raise CheckpointError(f"{where}: a net spec must be {{\"name\": str, \"kwargs\": {{...}}}}, got {spec!r:.80}")
    name = spec["name"]
    if name not in NETS:
        raise CheckpointError(f"{where}: unknown net {name!r} (known: {', '.join(NETS.names())})")
    cls = NETS.get(name)
    params = inspect.signature(cls).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    for key, value in spec["kwargs"].items():
        if not takes_any and key not in params:
            raise CheckpointError(f"{where}: net {name!r} takes no argument {key!r}")
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if isinstance(value, (int, float)):
            limit = INT_LIMITS.get(key, INT_LIMIT)
            if not -1 <= value <= limit:
                raise CheckpointError(f"{where}: net {name!r} argument {key} = {value} is outside [-1, {limit}]")
            continue
        if isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value) and len(value) <= 64:
            continue
        raise CheckpointError(f"{where}: net {name!r} argument {key} = {value!r:.60} is not a plain value")
    return cls
