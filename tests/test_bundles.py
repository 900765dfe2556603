"""The bundled checkpoints under checkpoints/ (not the run-* training folders, which git ignores): each
loads through translate.load, runs, fits the size budget, and has a model card that matches it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

import translate

ROOT = Path(__file__).resolve().parents[1] / "checkpoints"
BUNDLES = sorted(p for p in ROOT.iterdir() if (p / "model.safetensors").is_file() and not p.name.startswith("run-"))
MB = 1_000_000


def shown_images(markdown: str) -> list[str]:
    """The paths of the pictures a Markdown page shows (![alt](path))."""
    return re.findall(r"!\[[^\]]*\]\(([^)]+\.(?:png|jpg|gif))\)", markdown)


def _net_bytes(path: Path) -> dict[str, int]:
    """Stored bytes per generator (the tensor-name prefix before the first dot)."""
    sizes: dict[str, int] = {}
    with safe_open(path, "pt") as f:
        for key in f.keys():
            t = f.get_slice(key)
            n = int(np.prod(t.get_shape())) * torch.empty(0, dtype=_dtype(t.get_dtype())).element_size()
            sizes[key.split(".")[0]] = sizes.get(key.split(".")[0], 0) + n
    return sizes


def _dtype(name: str) -> torch.dtype:
    return {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32, "I64": torch.int64}[name]


def test_there_are_bundles():
    assert any(b.name == "mnist_cgan" for b in BUNDLES), [b.name for b in BUNDLES]


def test_size_budget():
    """Each generator at most 8 MB, all bundled weights together at most 45 MB (bundled-checkpoints issue)."""
    total = 0
    for b in BUNDLES:
        for net, n in _net_bytes(b / "model.safetensors").items():
            assert n <= 8 * MB, f"{b.name}/{net}: {n / MB:.1f} MB"
        total += (b / "model.safetensors").stat().st_size
    assert total <= 45 * MB, f"{total / MB:.1f} MB in {len(BUNDLES)} bundles"


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_model_card_matches_bundle(bundle):
    card = (bundle / "README.md").read_text()
    config = json.loads((bundle / "config.json").read_text())
    # The card names the exported step, so a re-export without a new card fails here.
    assert f"{config['step']:,}" in card, f"{bundle.name}/README.md does not mention step {config['step']:,}"
    for image in shown_images(card):
        assert (bundle / image).is_file(), f"{bundle.name}/README.md shows a missing {image}"
    for heading in ("## Data", "## Model and training", "## Quality", "## Known failure cases"):
        assert heading in card, f"{bundle.name}/README.md lacks {heading!r}"


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_bundle_runs(bundle):
    config = json.loads((bundle / "config.json").read_text())
    if config["kind"] != "translator":
        sampler = translate.load(bundle, device="cpu")
        images = sampler.sample(4, seed=0)
        assert images.shape[0] == 4 and torch.isfinite(images).all()
        assert images.std() > 0.05  # not a constant image
        return
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)  # odd size: padded and cropped back
    for direction in config["directions"]:
        out = translate.load(bundle, direction=direction, device="cpu")(photo)
        assert out.shape == photo.shape and out.dtype == np.uint8
        assert np.abs(out.astype(int) - photo).mean() > 5  # it changed the picture


@pytest.mark.parametrize("page", ["README.md", "docs/overview.md"])
def test_documentation_shows_only_committed_images(page):
    """A picture moved or deleted (as the 64 px grids were for the bundles' strips) must not leave a
    broken image in the README or the overview."""
    doc = ROOT.parent / page
    images = shown_images(doc.read_text())
    assert page != "README.md" or len(images) >= 5, images  # the pattern still finds the README's pictures
    missing = [image for image in images if not (doc.parent / image).is_file()]
    assert not missing, f"{page} shows missing images: {missing}"
