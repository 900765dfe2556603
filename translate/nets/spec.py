"""A net described as data: its registry name plus constructor arguments (diffusers-style), enough to
rebuild it with no other information. Bundles store these specs; training and inference build from them."""

from __future__ import annotations

from torch import nn

from translate.registry import NETS


def net_spec(name: str, **kwargs) -> dict:
    return {"name": name, "kwargs": kwargs}


def build_net(spec: dict) -> nn.Module:
    return NETS.get(spec["name"])(**spec["kwargs"])
