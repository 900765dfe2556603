"""Strip-wise resizing (inference/resample.py): PyTorch's own resizing, read as matrices, fed from uint8."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from translate.inference import images, resample
from translate.inference.tiling import run_tiled
from translate.nets.layers import init_weights
from translate.nets.resnet import ResnetGenerator


def _pixels(h: int, w: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (1, 3, h, w), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


@pytest.mark.parametrize("mode,antialias,size", [("bicubic", True, (23, 41)), ("area", False, (30, 52)),
                                                 ("bicubic", False, (170, 260))])
def test_strip_wise_resizing_from_uint8_is_pytorchs_resizing(monkeypatch, mode, antialias, size):
    """Down (antialiased bicubic, area: the work scale and tiling's statistics copy) and up (bicubic), with
    strips of 5 rows so every strip border and a ragged last strip are crossed, and matrices read off in
    batches of 7 impulses."""
    monkeypatch.setattr(resample, "STRIP_PIXELS", 101 * 5)
    monkeypatch.setattr(resample, "_IMPULSES", 7 * 260)
    x = _pixels(97, 101)
    kw = {} if mode == "area" else {"align_corners": False, "antialias": antialias}
    want = F.interpolate(x.float() / 127.5 - 1, size=size, mode=mode, **kw)
    got = resample.resize(x, size, mode, antialias)
    assert got.dtype == torch.float32 and got.shape == want.shape
    assert (got - want).abs().max() < 1e-5
    assert (resample.resize(x.float() / 127.5 - 1, size, mode, antialias) - want).abs().max() < 1e-5


def test_uint8_pixels_and_their_floats_translate_alike_at_the_work_scale_and_in_tiles():
    """What convert feeds (a photo's uint8 pixels, converted a strip or a tile at a time) gives the pixels
    the float path gives, at the work scale and tiled with statistics from a shrunken copy."""
    torch.manual_seed(0)
    net = init_weights(ResnetGenerator(ngf=8, n_blocks=1)).eval().requires_grad_(False)
    x8 = _pixels(120, 150, seed=1)
    xf = x8.float() / 127.5 - 1
    with torch.inference_mode():
        want = images.at_work_scale(net, xf, 64, out=torch.empty(1, 3, 120, 150, dtype=torch.uint8))
        got = images.at_work_scale(net, x8, 64, out=torch.empty(1, 3, 120, 150, dtype=torch.uint8))
        assert (got.int() - want.int()).abs().max() <= 1
        run = lambda t: net(resample.as_float(t))  # noqa: E731 - what ImageTranslator hands run_tiled
        want = run_tiled(net, xf, net, tile=64, overlap=32, stats_pixels=100 * 71,
                         out=torch.empty(1, 3, 120, 150, dtype=torch.uint8))
        got = run_tiled(net, x8, run, tile=64, overlap=32, stats_pixels=100 * 71,
                        out=torch.empty(1, 3, 120, 150, dtype=torch.uint8))
        assert (got.int() - want.int()).abs().max() <= 1


def test_prepare_keeps_a_photo_as_uint8_pixels_without_a_copy():
    import numpy as np
    from PIL import Image

    arr = np.random.default_rng(2).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    prep = images.prepare(Image.fromarray(arr))
    assert prep.x.dtype == torch.uint8 and prep.x.shape == (3, 40, 60)
    assert torch.equal(prep.x.permute(1, 2, 0), torch.from_numpy(arr))
    assert prep.x.untyped_storage().nbytes() == arr.nbytes  # one copy of the pixels, viewed channels-first


def test_a_panorama_thinner_than_a_tile_is_tiled_from_its_uint8_pixels(cyclegan_bundle):
    """A side shorter than the tile (and no multiple of 4): each tile is padded on its own, so the photo is
    never copied as floats, and the result is the float path's (the same tiles)."""
    import numpy as np
    from PIL import Image

    import translate

    tr = translate.load(cyclegan_bundle, device="cpu", precision="fp32", tile=64, tile_overlap=16, scale="native")
    smooth = torch.nn.functional.interpolate(_pixels(5, 26, seed=3).float(), size=(37, 203), mode="bilinear")
    x8 = smooth.round().to(torch.uint8)  # photo-like: a shrunken copy's statistics stay close to the whole's
    got = tr.translate_uint8(x8)
    want = tr.translate_uint8(x8.float() / 127.5 - 1)
    assert got.shape == (1, 3, 37, 203) and (got.int() - want.int()).abs().max() <= 1
    whole = translate.load(cyclegan_bundle, device="cpu", precision="fp32", scale="native")
    image = Image.fromarray(x8[0].permute(1, 2, 0).numpy())
    diff = np.abs(np.asarray(tr(image), dtype=int) - np.asarray(whole(image), dtype=int))
    assert diff.mean() < 12  # tiles of a tiny net: the same picture, not the same pixels
