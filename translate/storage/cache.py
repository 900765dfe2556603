"""Where the project keeps what it can recompute (judges, the list of training images known to decode):
$TRANSLATE_CACHE, else $XDG_CACHE_HOME/translate, else ~/.cache/translate; never inside a data folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("TRANSLATE_CACHE"):
        return Path(os.environ["TRANSLATE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "translate"
