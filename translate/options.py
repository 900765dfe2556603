"""Typed options: dataclass fields that carry their CLI help, and the dataclass <-> argparse bridge.

Torch-free and dependency-free on purpose: config.py (run options) and models/configs.py (each model's
options) both build on it, and `translate --help` imports only these.

Precedence of values, lowest first: dataclass defaults < the model's `TRAIN_DEFAULTS` (the paper's
optimizer/schedule settings) < flags the user typed. The bridge makes every flag default to
"not given" (argparse.SUPPRESS) so the layers can be told apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from dataclasses import field, fields
from typing import Any

from translate.errors import OptionError


def opt(default: Any, help: str, choices: tuple | None = None, metavar: str | None = None):
    """A dataclass field that carries its CLI help text (and choices) with it."""
    meta = {"help": help, "choices": choices, "metavar": metavar}
    if isinstance(default, (list, dict, tuple)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def from_dict(cls, d: dict):
    """Build dataclass `cls` from a dict, ignoring unknown keys (older/newer runs) and restoring tuples."""
    kwargs = {}
    for f in fields(cls):
        if f.name in d:
            v = d[f.name]
            kwargs[f.name] = tuple(v) if isinstance(v, list) and _is_tuple(f.type) else v
    return cls(**kwargs)


def _is_tuple(tp) -> bool:
    return tp in (tuple, "tuple") or typing.get_origin(tp) is tuple


# ----------------------------------------------------------------------------------------------- bridge
def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _base_type(tp):
    if isinstance(tp, str):  # `from __future__ import annotations` leaves strings
        return {"int": int, "float": float, "str": str, "bool": bool, "tuple": tuple}.get(tp.split(" ")[0], str)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def add_dataclass_args(parser: argparse._ActionsContainer, cls, prefix: str, defaults: dict | None = None,
                       helps: dict | None = None):
    """Add one flag per field of `cls`; parsed values land in `prefix.field` (absent when not typed).

    `defaults` (field -> value) and `helps` (field -> text) only change what --help shows, e.g. a model's
    paper defaults and the data set names that fit it.
    """
    defaults, helps = defaults or {}, helps or {}
    for f in fields(cls):
        meta = f.metadata
        tp = _base_type(f.type)
        default = defaults.get(f.name, f.default if f.default is not dataclasses.MISSING else f.default_factory())
        help_text = helps.get(f.name, meta.get("help", ""))
        if tp is not bool:
            help_text += f" (default: {_show(default)})"
        kw: dict[str, Any] = {"dest": f"{prefix}.{f.name}", "default": argparse.SUPPRESS, "help": help_text}
        if tp is bool:
            parser.add_argument(_flag(f.name), action=argparse.BooleanOptionalAction, **kw)
            continue
        if tp is tuple:
            elem = type(default[0]) if default else float
            kw.update(nargs=len(default) if default else "+", type=elem)
            if meta.get("metavar"):
                kw["metavar"] = tuple(meta["metavar"].split())
        else:
            kw["type"] = tp
        if meta.get("choices"):
            kw["choices"] = meta["choices"]
        kw.setdefault("metavar", meta.get("metavar") or (None if meta.get("choices") else f.name.upper()))
        parser.add_argument(_flag(f.name), **kw)


def _show(v) -> str:
    if isinstance(v, tuple):
        return " ".join(str(x) for x in v)
    return repr(v) if v == "" else str(v)


def given(namespace: argparse.Namespace, prefix: str) -> dict:
    """The values the user typed for `prefix.*` flags."""
    p = prefix + "."
    return {k[len(p):]: v for k, v in vars(namespace).items() if k.startswith(p)}


def build(cls, *layers: dict):
    """Instantiate `cls` from its defaults overlaid by each layer in turn; unknown keys are an error."""
    names = {f.name for f in fields(cls)}
    merged: dict = {}
    for layer in layers:
        unknown = set(layer) - names
        if unknown:
            raise OptionError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
        merged.update(layer)
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in merged.items()})
