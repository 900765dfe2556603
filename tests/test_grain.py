"""The grain measure (translate/metrics/grain.py) sees the artefacts the eye calls grain, and not a photo's
own texture: a grid of 1.5 levels at a generator's periods, coloured speckle; stripes, a gray photo and a
smooth photo do not count."""

from __future__ import annotations

import json

import torch

from translate.metrics.grain import compare, grain, grid_db, speckle


def _photos(n: int = 6, size: int = 64, seed: int = 0) -> torch.Tensor:
    """Smooth photo-like images in [-1, 1]: low-pass noise (a 1/f-like spectrum, no lattice peaks)."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 9, 9, generator=g) * 1.6 - 0.8  # 9: no period of the lattice
    x = torch.nn.functional.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)
    return (x + torch.randn(n, 1, size, size, generator=g) * 0.02).clamp(-1, 1)  # some gray film grain


def _checker(size: int, period: int, levels: float) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return (((yy // (period // 2) + xx // (period // 2)) % 2) * 2 - 1).float() * levels / 127.5


def test_a_faint_grid_at_a_generators_periods_is_seen_and_a_photos_texture_is_not():
    x = _photos()
    base = grid_db(x)
    for period, rise in ((2, 8), (4, 8), (8, 5)):
        gridded = (x + _checker(64, period, 1.5)).clamp(-1, 1)
        assert (grid_db(gridded) - base).min() > rise, period  # 1.5 of 255 levels: invisible in a histogram
    # straight stripes across the whole frame, of a zebra's irregular widths, are texture, not a lattice
    g = torch.Generator().manual_seed(0)
    widths = torch.randint(4, 10, (30,), generator=g).tolist()
    profile = torch.cat([torch.full((w,), float(i % 2) * 2 - 1) for i, w in enumerate(widths)])[:64]
    for stripes in (profile.view(1, 1, 1, 64), profile.view(1, 1, 64, 1)):
        assert (grid_db((x + stripes * 0.3).clamp(-1, 1)) - base).max() < 4


def test_colour_speckle_is_seen_and_a_gray_or_luminance_only_pattern_is_not():
    x = _photos()
    g = torch.Generator().manual_seed(1)
    speckled = (x + torch.randn(x.shape, generator=g) * 6 / 127.5).clamp(-1, 1)  # 6 levels a channel
    assert (speckle(speckled) - speckle(x)).min() > 1.5
    assert speckle(x.mean(1, keepdim=True).expand(-1, 3, -1, -1)).max() < 0.05  # a gray photo has no colour
    luma_grid = (x + _checker(64, 2, 3.0)).clamp(-1, 1)
    assert (speckle(luma_grid) - speckle(x)).abs().max() < 0.1
    assert speckle(x[:, :1]).eq(0).all()  # single-channel images: no colour to speckle


def test_translations_are_within_real_photos_only_when_both_figures_are():
    reals = _photos(seed=2)
    assert compare(_photos(seed=3), reals)["within_real"] in (True, False)
    same = compare(reals, reals)
    assert same["within_real"] and same["grid_db"] == same["real_grid_db"]
    gridded = compare((reals + _checker(64, 4, 2)).clamp(-1, 1), reals)
    assert not gridded["within_real"] and gridded["grid_db"] > gridded["real_grid_db"] + 8
    as_uint8 = grain(((reals + 1) * 127.5).round().to(torch.uint8))
    assert abs(as_uint8["speckle"] - grain(reals)["speckle"]) < 0.2


def test_eval_grain_on_the_command_line(cyclegan_bundle, unpaired_root, tmp_path, capsys):
    from translate.cli import main

    out = tmp_path / "grain.json"
    rc = main(["eval", "--metric", "grain", "--checkpoint", str(cyclegan_bundle), "--data", str(unpaired_root),
               "--size", "32", "--n", "3", "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    for d in ("AtoB", "BtoA"):
        r = res[d]
        assert r["n_images"] == 3 and r["metric"] == "grain" and len(r["most_grid"]) == 3
        assert r["speckle"] >= 0 and r["real_speckle"] >= 0 and isinstance(r["within_real"], bool)
    assert "real_grid_db" in capsys.readouterr().out
    # --degrid takes the untrained net's grid out; eval translates as convert would with the same options
    figures = {}
    for flag in ("--no-degrid", "--degrid"):
        assert main(["eval", "--metric", "grain", "--checkpoint", str(cyclegan_bundle), "--data", str(unpaired_root),
                     "--size", "64", "--n", "3", "--scale", "native", flag, "--json", str(out)]) == 0
        figures[flag] = json.loads(out.read_text())
    for d in ("AtoB", "BtoA"):
        assert figures["--degrid"][d]["grid_db"] < figures["--no-degrid"][d]["grid_db"] - 3, figures
        assert figures["--degrid"][d]["degrid"] and not figures["--no-degrid"][d]["degrid"]
        assert figures["--degrid"][d]["work_side"] == 0 and res[d]["work_side"] == 32  # native; the fixture's
