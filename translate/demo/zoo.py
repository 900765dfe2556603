"""The demo's models: which checkpoint serves each tab and direction (TASKS, by the naming rule of
translate/storage/catalog.py), loaded once each, lazily, behind a lock. No gradio here."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from translate.errors import TranslateError

# Images with a longer side run in overlapping tiles of this size (`translate convert`'s default), so that
# one translation's memory stays bounded whatever the upload (docs/performance.md, bench/demo_memory.py).
DEMO_TILE = 1536

# Each direction lists (checkpoint name, direction) candidates. The first found in the order of the naming
# rule (translate/storage/catalog.py: your own checkpoints, then published weights, then the bundled models) is
# used, so an installed published model takes over from the bundled one. Our bundles hold both generators
# of a CycleGAN; a published download holds one (`horse2zebra` translates horse -> zebra, `zebra2horse` the
# other way).
TASKS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "Season transfer": {
        "summer → winter": (("summer2winter_yosemite", "AtoB"),),
        "winter → summer": (("summer2winter_yosemite", "BtoA"), ("winter2summer_yosemite", "AtoB")),
    },
    "Object transfiguration": {
        "horse → zebra": (("horse2zebra", "AtoB"),),
        "zebra → horse": (("horse2zebra", "BtoA"), ("zebra2horse", "AtoB")),
        "apple → orange": (("apple2orange", "AtoB"),),
        "orange → apple": (("apple2orange", "BtoA"), ("orange2apple", "AtoB")),
    },
    # pix2pix, paired: the bundle's one generator turns a label map into a photo (it trained --direction
    # BtoA on facades); the published one is pix2pix_facades_label2photo
    "Facades": {
        "labels → photo": (("facades", "AtoB"), ("pix2pix_facades_label2photo", "AtoB")),
    },
}


def published_name(candidates: tuple[tuple[str, str], ...]) -> str | None:
    """The published weights that translate this way: a candidate whose one generator goes in its direction."""
    from translate.registry import PRETRAINED

    for name, direction in candidates:
        if name in PRETRAINED and PRETRAINED.info(name).get("direction", "AtoB") == direction:
            return name
    return None



class Unavailable(Exception):
    """A model the user asked for is not installed; the message says how to get it."""


@dataclass(frozen=True)
class Found:
    path: Path
    direction: str
    source: str  # translate/storage/catalog.py SOURCES: local, published or bundled


class ModelZoo:
    """Finds checkpoints by the naming rule (translate/storage/catalog.py) and loads each (path, direction) once,
    lazily, behind a lock: concurrent requests for a model that is still loading wait instead of loading
    twice. `roots` are the user's own checkpoint folders (`translate demo --checkpoints`); `weights` and
    `bundled` replace the published-weights and bundled folders (None leaves the bundled models out)."""

    def __init__(self, roots: list[Path] | None = None, max_loaded: int = 8, seed: int = 0,
                 weights: Path | None = None, bundled: Path | None | str = "default"):
        from translate.storage.catalog import BUNDLED, Catalog

        self.catalog = Catalog(roots, weights, BUNDLED if bundled == "default" else bundled)
        self._cache: dict[tuple[Path, str], object] = {}
        self._lock = threading.Lock()
        self.max_loaded = max_loaded
        self.seed = seed  # pix2pix's test-time dropout masks: the same upload gives the same result
        self.broken: dict[str, str] = {}  # checkpoint name -> why it cannot be used (shown instead of it)

    @property
    def roots(self) -> list[Path]:
        return [root for _, root in self.catalog.roots()]

    def find(self, candidates: tuple[tuple[str, str], ...]) -> Found | None:
        from translate.storage.catalog import SOURCES
        from translate.storage.checkpoint import CheckpointError, checkpoint_config

        for source in SOURCES:
            for name, direction in candidates:
                for hit in self.catalog.installed(name, source):
                    try:
                        config = checkpoint_config(hit.path)
                    except CheckpointError as e:  # a damaged or crafted bundle: unavailable, with its reason
                        self.broken.setdefault(name, str(e))
                        continue
                    if direction in config.get("directions", {}) or config.get("kind") == "sampler":
                        return Found(hit.path, direction, source)
        return None

    def describe(self, found: Found) -> str:
        """Which model this is, for the status line."""
        from translate.storage.catalog import describe
        from translate.storage.checkpoint import checkpoint_config

        return describe(checkpoint_config(found.path), found.source)

    def how_to_get(self, candidates: tuple[tuple[str, str], ...]) -> str:
        for name, _ in candidates:
            if name in self.broken:
                return f"The installed {name} cannot be used: {self.broken[name]}"
        published = published_name(candidates)
        get = (f"Press **Use the published model** or run `translate download-weights {published}`, or s"
               if published else "S")
        return (f"No weights installed for this. {get}tart the demo with `--checkpoints DIR` where "
                f"DIR/{candidates[0][0]} is a checkpoint folder (looked in {', '.join(map(str, self.roots))}).")

    def locate(self, candidates: tuple[tuple[str, str], ...]) -> Found:
        found = self.find(candidates)
        if found is None:
            raise Unavailable(self.how_to_get(candidates))
        return found

    def load(self, candidates: tuple[tuple[str, str], ...], found: Found | None = None):
        import translate

        found = found or self.locate(candidates)
        key = (found.path.resolve(), found.direction)
        with self._lock:
            if key not in self._cache:
                if len(self._cache) >= self.max_loaded:  # bounded memory: forget the oldest model
                    self._cache.pop(next(iter(self._cache)))
                try:
                    # (a sampler ignores the translator's options)
                    self._cache[key] = translate.load(found.path, direction=found.direction, tile=DEMO_TILE,
                                                      seed=self.seed)
                except TranslateError as e:  # weights that do not fit their config, and the like
                    raise Unavailable(f"{found.path.name} cannot be used: {e}") from None
            return self._cache[key]

    def loaded(self) -> int:
        return len(self._cache)
