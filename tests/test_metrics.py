"""Metrics against independent references: NumPy/SciPy for Parzen, FID and KID; exact cases for modes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from translate.data.datasets import ToyMixture
from translate.errors import TranslateError
from translate.metrics.fid import (
    InceptionFeatures,
    fid_from_features,
    inception_path,
    kernel_inception_distance,
)
from translate.metrics.modes import mode_stats
from translate.metrics.parzen import parzen_eval, parzen_log_likelihood

scipy = pytest.importorskip("scipy")
from scipy import linalg  # noqa: E402
from scipy.special import logsumexp  # noqa: E402


def test_modes_of_perfect_and_collapsed_generators():
    mix = ToyMixture("grid25")
    perfect = mix.sample(2500, torch.Generator().manual_seed(0))["x"]
    s = mode_stats(perfect, mix.centers, mix.sigma)
    # even real data is "high quality" only 1 - exp(-9/2) = 98.9% of the time (2-D: radius 3 sigma)
    assert s["modes"] == 25 and s["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.006)
    assert s["reverse_kl"] < 0.02
    collapsed = mix.centers[7] + 0.01 * torch.randn(2500, 2)
    s = mode_stats(collapsed, mix.centers, mix.sigma)
    assert s["modes"] == 1 and s["high_quality"] == 1.0
    assert s["reverse_kl"] == pytest.approx(math.log(25))  # KL(delta || uniform over 25)
    between = (mix.centers[:2].mean(0) + torch.zeros(10, 2))  # halfway between two modes: not high quality
    assert mode_stats(between, mix.centers, mix.sigma)["high_quality"] == 0.0


def test_parzen_matches_a_numpy_reference():
    rng = np.random.default_rng(0)
    samples, x = rng.random((300, 20)), rng.random((50, 20))
    sigma = 0.3
    d2 = ((x[:, None, :] - samples[None, :, :]) ** 2).sum(-1)
    ref = logsumexp(-d2 / (2 * sigma**2), axis=1) - math.log(300) - 10 * math.log(2 * math.pi * sigma**2)
    got = parzen_log_likelihood(torch.tensor(samples), torch.tensor(x), sigma, block=7).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_parzen_picks_the_sigma_that_fits_validation_data():
    rng = np.random.default_rng(1)
    data = lambda n: torch.tensor(rng.normal(0.5, 0.2, (n, 5)))  # noqa: E731
    res = parzen_eval(data(2000), data(300), data(300), sigmas=[0.01, 0.1, 1.0])
    assert res["sigma"] == 0.1 and res["validation"][0.1] > res["validation"][0.01]
    assert res["standard_error"] > 0 and res["n_test"] == 300


def test_fid_matches_scipy_sqrtm_formula():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(400, 16))
    b = rng.normal(size=(300, 16)) @ rng.normal(size=(16, 16)) * 0.5 + 0.3
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    ref = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    assert fid_from_features(torch.tensor(a), torch.tensor(b)) == pytest.approx(ref, rel=1e-6)
    assert fid_from_features(torch.tensor(a), torch.tensor(a)) == pytest.approx(0.0, abs=1e-6)


def test_kid_matches_a_direct_computation():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(60, 8)), rng.normal(0.2, 1.0, size=(50, 8))
    k = lambda a, b: (a @ b.T / 8 + 1) ** 3  # noqa: E731
    m = 50
    kxx, kyy, kxy = k(x[:m], x[:m]), k(y, y), k(x[:m], y)
    ref = ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) - 2 * kxy.mean()
    # one subset of size 50 drawn by permutation: compare with the same rows
    mean, _ = kernel_inception_distance(torch.tensor(x[:m]), torch.tensor(y), subsets=1, subset_size=m)
    assert mean == pytest.approx(ref, rel=1e-6)


def test_inception_weights_are_never_downloaded(tmp_path, monkeypatch):
    monkeypatch.delenv("TRANSLATE_INCEPTION", raising=False)
    with pytest.raises(TranslateError, match="`inception` FILE"):
        inception_path(None)
    with pytest.raises(TranslateError, match="do not exist"):
        inception_path(str(tmp_path / "nope.pth"))


def test_inception_features_from_a_local_state_dict(tmp_path):
    from safetensors.torch import save_file
    from torchvision.models import inception_v3

    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=True, init_weights=False)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "inc.safetensors"))
    feats = InceptionFeatures(tmp_path / "inc.safetensors")(torch.rand(2, 1, 28, 28) * 2 - 1)
    assert feats.shape == (2, 2048) and torch.isfinite(feats).all()
    torch.save({"fc.weight": torch.zeros(3)}, tmp_path / "wrong.pth")
    with pytest.raises(TranslateError, match="not a torchvision inception_v3 state dict"):
        InceptionFeatures(tmp_path / "wrong.pth")


def test_parzen_with_several_sigmas_equals_one_at_a_time():
    rng = np.random.default_rng(4)
    s, x = torch.tensor(rng.random((100, 6))), torch.tensor(rng.random((30, 6)))
    both = parzen_log_likelihood(s, x, [0.1, 0.5], block=8)
    assert torch.allclose(both[0], parzen_log_likelihood(s, x, 0.1))
    assert torch.allclose(both[1], parzen_log_likelihood(s, x, 0.5))
