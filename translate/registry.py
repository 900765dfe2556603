"""Name -> builder registries (nets, models, objectives), with "did you mean" for unknown names.

Registration is a decorator, as in timm, so the tests can iterate over everything registered.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable


class UnknownNameError(KeyError):
    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class Registry:
    """`modules` are imported on first lookup: registration happens there, and importing the registry
    itself stays free of torch (the CLI's --help depends on that)."""

    def __init__(self, kind: str, modules: tuple[str, ...] = ()):
        self.kind = kind
        self._items: dict[str, Callable] = {}
        self._modules = modules
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for m in self._modules:
                importlib.import_module(m)

    def register(self, name: str):
        def deco(obj):
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return deco

    def get(self, name: str):
        self._load()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(unknown_name_message(self.kind, name, self._items)) from None

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        self._load()
        return name in self._items


def unknown_name_message(kind: str, name: str, valid) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}.{hint} Valid: {', '.join(sorted(valid))}."


NETS = Registry("net", ("translate.nets.mlp", "translate.nets.dcgan", "translate.nets.resnet",
                       "translate.nets.unet", "translate.nets.patchgan"))
MODELS = Registry("model", ("translate.models.gan", "translate.models.dcgan", "translate.models.cgan",
                           "translate.models.pix2pix", "translate.models.cyclegan"))
OBJECTIVES = Registry("objective", ("translate.objectives",))
