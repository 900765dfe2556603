"""The spectral loss (Durall et al. 2020) that `--lambda-spectral` adds to a CycleGAN's generator loss."""

from __future__ import annotations

import torch
from conftest import make_config

from translate.models.spectral import spectral_loss, spectral_profile
from translate.training.trainer import Trainer


def _photos(n: int, size: int = 64) -> torch.Tensor:
    """Smooth random scenes with a 1/f-like spectrum, as photos have: noise blurred at several scales."""
    g = torch.Generator().manual_seed(0)
    x = sum(torch.nn.functional.interpolate(torch.randn(n, 3, size // s, size // s, generator=g), size=size,
                                            mode="bilinear", align_corners=False) * s / 8 for s in (1, 2, 4, 8, 16))
    return (x / x.abs().amax()).clamp(-1, 1)


def test_the_profile_runs_to_the_corners_and_sees_a_checkerboard_there():
    x = _photos(4)
    profile = spectral_profile(x)
    assert profile.shape == (4, round(32 * 2 ** 0.5) + 1)  # rings 0 .. the corner radius of a 64 px image
    assert profile.min() >= 0 and profile.max() <= 1
    checker = 0.1 * (1 - 2 * ((torch.arange(64)[:, None] + torch.arange(64)[None]) % 2)).float()
    assert (spectral_profile(x + checker)[:, -1] - profile[:, -1]).min() > 0.15  # the corner ring lights up


def test_the_loss_is_least_for_real_spectra_and_pulls_a_grid_or_a_blur_back():
    real, other = _photos(8).split(4)
    checker = 0.05 * (1 - 2 * ((torch.arange(64)[:, None] + torch.arange(64)[None]) % 2)).float()
    same = spectral_loss(other, real)
    assert spectral_loss(other + checker, real) > same + 0.003  # one ring of 46 (measured +0.0045)
    assert spectral_loss(torch.nn.functional.avg_pool2d(other, 3, 1, 1), real) > same + 0.02  # (+0.046)
    fake = (other + checker).requires_grad_()
    spectral_loss(fake, real).backward()
    with torch.no_grad():  # a small step down the gradient takes the checker out
        stepped = fake - 0.005 * fake.grad / fake.grad.abs().max()
    assert spectral_loss(stepped, real) < spectral_loss(other + checker, real)


def test_cyclegan_with_the_spectral_loss_trains_and_logs_it(unpaired_root, tmp_path):
    t = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 2}, model_kw={"lambda_spectral": 1.0}),
                tmp_path / "run", quiet=True)
    run = t.fit()
    header, *rows = (run / "losses.csv").read_text().splitlines()
    assert "spectral_AB" in header and "spectral_BA" in header and rows


def test_the_fine_band_keeps_a_grid_and_drops_smooth_content():
    from translate.models.spectral import fine_band

    x = _photos(2)
    checker = 0.05 * (1 - 2 * ((torch.arange(64)[:, None] + torch.arange(64)[None]) % 2)).float()
    assert fine_band(x).abs().mean() < 0.1 * x.abs().mean()  # smooth photos leave little in it
    # a 2 px checker is the blur's zero: all of it stays (the band is linear)
    assert torch.allclose(fine_band(x + checker) - fine_band(x), checker.expand_as(x), atol=1e-5)


def test_cyclegan_with_fine_band_discriminators_trains_them_and_logs_both_sides(unpaired_root, tmp_path):
    t = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 2}, model_kw={"lambda_fine_d": 1.0}),
                tmp_path / "run", quiet=True)
    before = {k: v.clone() for k, v in t.model.D_B_fine.state_dict().items()}
    # no norm in the fine Ds by default (instance norm divides out a grid's energy); the main Ds keep theirs
    assert t.model.specs["D_B_fine"]["kwargs"]["norm"] == "none"
    assert t.model.specs["D_B"]["kwargs"]["norm"] == "instance"
    assert not any(isinstance(m, torch.nn.InstanceNorm2d) for m in t.model.D_B_fine.modules())
    run = t.fit()
    header = (run / "losses.csv").read_text().splitlines()[0]
    assert all(k in header for k in ("adv_fine_AB", "adv_fine_BA", "d_real_fine_B", "d_fake_fine_A")), header
    assert any(not torch.equal(before[k], v) for k, v in t.model.D_B_fine.state_dict().items())
    # they are nets of the run like D_A and D_B: saved, and back on resume
    again = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 3},
                                model_kw={"lambda_fine_d": 1.0}), tmp_path / "run", resume=True, quiet=True)
    assert again.step == 2
    for k, v in t.model.D_B_fine.state_dict().items():
        assert torch.equal(again.model.D_B_fine.state_dict()[k], v), k
