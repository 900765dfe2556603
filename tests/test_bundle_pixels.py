"""Every bundled checkpoint gives the same pixels as the commit that made the references below.

The references in tests/data/bundle_pixels/ were computed by this file's `__main__` at commit 8e3025e, before
the architecture redesign (issue 21), so a refactor that changes what a bundle outputs fails here. Inputs are
the demo's example photos, shrunk to an odd size (the padding and crop-back path runs too); translators run
in fp32 with their other defaults (Winograd and the narrow-conv path on the CPU); the cGAN's noise takes torch seed 0.
pix2pix's test-time dropout takes the translator's own seed (0) since issue 24 made it reproducible; the
facades reference was recomputed then (the only one that changed). The nets' own pixels are compared
(`degrid=False`): the grid removal that some bundles turn on after the net is tested in test_degrid.py, on
these bundles too.

    python tests/test_bundle_pixels.py   # rewrite the references (only when a change of pixels is intended)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import translate

REPO = Path(__file__).resolve().parents[1]
REFERENCES = Path(__file__).resolve().parent / "data" / "bundle_pixels"
EXAMPLES = REPO / "translate" / "demo" / "examples"
# (bundle, direction, example photo); facades translates label maps, and a photo stands in for one here
CASES = [("horse2zebra", "AtoB", "horse_1.jpg"), ("horse2zebra", "BtoA", "zebra_1.jpg"),
         ("summer2winter_yosemite", "AtoB", "summer_1.jpg"), ("summer2winter_yosemite", "BtoA", "winter_1.jpg"),
         ("apple2orange", "AtoB", "apple_1.jpg"), ("apple2orange", "BtoA", "orange_1.jpg"),
         ("facades", "AtoB", "winter_2.jpg")]


def _input(photo: str) -> Image.Image:
    return Image.open(EXAMPLES / photo).convert("RGB").resize((70, 54), Image.BICUBIC)


def compute(bundle: str, direction: str, photo: str, precision: str = "fp32", degrid: bool = False) -> np.ndarray:
    torch.manual_seed(0)
    model = translate.load(REPO / "checkpoints" / bundle, direction=direction, device="cpu", precision=precision,
                           **({"degrid": degrid} if bundle != "facades" else {}))
    return np.asarray(model(_input(photo)))


def compute_digits() -> np.ndarray:
    sampler = translate.load(REPO / "checkpoints" / "mnist_cgan", device="cpu")
    x = sampler.sample(10, labels=list(range(10)), seed=0)
    return sampler.to_uint8(x).permute(0, 2, 3, 1).reshape(-1, x.shape[-1]).numpy()


def _name(bundle: str, direction: str) -> str:
    return f"{bundle}_{direction}.png"


@pytest.mark.parametrize("bundle,direction,photo", CASES)
def test_translator_bundle_gives_the_reference_pixels(bundle, direction, photo):
    out = compute(bundle, direction, photo)
    ref = np.asarray(Image.open(REFERENCES / _name(bundle, direction)))
    assert out.shape == ref.shape
    diff = np.abs(out.astype(int) - ref.astype(int))
    # float rounding may move a value across a .5 boundary; anything more is a changed model
    assert diff.max() <= 1 and (diff > 0).mean() < 0.001, (diff.max(), (diff > 0).mean())


@pytest.mark.parametrize("bundle,direction,photo", CASES)
def test_the_default_precision_stays_within_40_db_of_fp32(bundle, direction, photo):
    """`precision` auto may run bf16 autocast on a CPU with bf16 arithmetic: its pixels stay within 40 dB PSNR
    of the fp32 function (on a CPU without it, auto is fp32 and the two are equal)."""
    fp32 = compute(bundle, direction, photo).astype(np.float64)
    default = compute(bundle, direction, photo, precision="auto").astype(np.float64)
    mse = np.mean((default - fp32) ** 2)
    assert mse == 0 or 10 * np.log10(255**2 / mse) >= 40, 10 * np.log10(255**2 / mse)


def test_cgan_bundle_gives_the_reference_digits():
    out = compute_digits()
    ref = np.asarray(Image.open(REFERENCES / "mnist_cgan.png"))
    assert out.shape == ref.shape and np.abs(out.astype(int) - ref.astype(int)).max() <= 1


if __name__ == "__main__":
    REFERENCES.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        Image.fromarray(compute(*case)).save(REFERENCES / _name(*case[:2]))
    Image.fromarray(compute_digits()).save(REFERENCES / "mnist_cgan.png")
    print(f"wrote {len(CASES) + 1} references to {REFERENCES}")
