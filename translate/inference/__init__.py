"""Inference from a bundle or run folder, with no training code involved.

`load(path)` reads config.json (or a run's newest state) and rebuilds the exported nets from their
registry names and constructor arguments. For noise -> sample models it returns a `Sampler`
(sampler.py), for pix2pix, CycleGAN, CUT and FastCUT (trained or imported) an `ImageTranslator`
(translator.py; images.py prepares images and sets the work scale). `translate convert` (convert.py,
video.py) and tiling (tiling.py) build on them. The names below are imported on first use, so that
`translate convert --help` (which reads convert.py's formats) stays torch-free.
"""

from __future__ import annotations

from pathlib import Path

from translate.config import Direction

_HOMES = {"ImageTranslator": "translator", "Sampler": "sampler", "latent_stretch": "sampler",
          "Prepared": "images", "at_work_scale": "images", "work_side": "images"}
__all__ = ["load", *_HOMES]


def __getattr__(name: str):
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"translate.inference.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'translate.inference' has no attribute {name!r}")


def load(path_or_name: str | Path, direction: Direction = "AtoB", device: str = "auto", precision: str = "auto",
         **options):
    """Load a bundle or run folder, or a checkpoint by name (`horse2zebra`, `horse2zebra:bundled`; the naming
    rule is in translate/storage/catalog.py), for inference: a `Sampler` for noise -> image models, an
    `ImageTranslator` (in `direction`) for pix2pix, CycleGAN, CUT and FastCUT checkpoints, trained or
    imported. `options` go to ImageTranslator (tile, tile_overlap, channels_last, compile, winograd, scale, degrid)."""
    from translate.inference.sampler import Sampler
    from translate.inference.translator import ImageTranslator
    from translate.storage.catalog import resolve_checkpoint
    from translate.storage.checkpoint import load_checkpoint

    path = resolve_checkpoint(path_or_name)
    config, tensors = load_checkpoint(path)
    if config.get("kind") == "translator":
        return ImageTranslator(config, tensors, direction, device, str(path_or_name), precision, **options)
    return Sampler.from_pretrained(path, device=device)
