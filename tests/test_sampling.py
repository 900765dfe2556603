"""Sampling with Jacobian-based rejection (`--reject-stretch`): the stretch is the Jacobian norm, and
dropping the most stretched codes removes the bridge a continuous generator draws between two modes."""

from __future__ import annotations

import pytest
import torch
from conftest import cli_fails
from torch import nn

from translate.inference import Sampler, latent_stretch


class TwoModes(nn.Module):
    """z (N, 2) -> (tanh(6 z1), 0.01 z2): two clusters at x1 = -1 and +1, joined by a thin bridge where
    z1 is near 0 (there the map stretches most: d x1 / d z1 = 6 at z1 = 0)."""

    def forward(self, z):
        return torch.stack([torch.tanh(6 * z[:, 0]), 0.01 * z[:, 1]], 1)


def _points_sampler(G: nn.Module, reject: float = 0.0) -> Sampler:
    from translate.registry import NETS

    spec = {"name": "mlp_g", "kwargs": {"z_dim": 2, "out_dim": 2, "hidden": 4, "layers": 1}}
    tensors = {f"G.{k}": v for k, v in NETS.get("mlp_g")(**spec["kwargs"]).state_dict().items()}
    s = Sampler({"z_dim": 2, "output": "points", "sample_shape": [2], "nets": {"G": spec}}, tensors, "cpu",
                reject_stretch=reject)
    s.G = G
    return s


def _exact_jacobian_norms(G: nn.Module, z: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.autograd.functional.jacobian(lambda x: G(x[None])[0], zi).norm() for zi in z])


def test_stretch_is_the_jacobian_norm_exactly_for_small_latents_and_estimated_for_large():
    torch.manual_seed(0)
    small = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 3)).eval()
    z = torch.randn(6, 2)
    torch.testing.assert_close(latent_stretch(small, z), _exact_jacobian_norms(small, z), rtol=1e-5, atol=1e-6)

    wide = nn.Sequential(nn.Linear(12, 32), nn.Tanh(), nn.Linear(32, 5)).eval()
    z = torch.randn(6, 12)
    estimate = latent_stretch(wide, z, probes=400)  # Hutchinson: E ||J v||^2 = ||J||_F^2
    torch.testing.assert_close(estimate, _exact_jacobian_norms(wide, z), rtol=0.15, atol=0)


def test_rejecting_the_most_stretched_codes_removes_the_bridge_and_keeps_both_modes():
    plain = _points_sampler(TwoModes()).sample(4000, seed=1)
    on_bridge = lambda x: float((x[:, 0].abs() < 0.9).double().mean())  # noqa: E731
    assert on_bridge(plain) > 0.12  # about P(|z1| < 0.245) = 19%
    kept = _points_sampler(TwoModes(), reject=0.25).sample(4000, seed=1)
    assert kept.shape == (4000, 2) and on_bridge(kept) < 0.005
    assert 0.4 < float((kept[:, 0] > 0).double().mean()) < 0.6  # both modes stay, evenly
    # no rejection is plain sampling, bit for bit; rejection is reproducible from the seed
    s = _points_sampler(TwoModes())
    assert torch.equal(plain, s.generate(s.noise(4000, 1)))
    assert torch.equal(kept, _points_sampler(TwoModes(), reject=0.25).sample(4000, seed=1))


def test_reject_stretch_must_be_a_share():
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        _points_sampler(TwoModes(), reject=1.0)


def test_cli_eval_and_sample_take_reject_stretch(tmp_path, capsys):
    import json

    from translate.cli import main

    run = tmp_path / "ring"
    assert main(["train", "--model", "gan", "--data", "ring8", "--steps", "3", "--out", str(run),
                 "--g-hidden", "8", "--d-hidden", "8"]) == 0
    out = tmp_path / "modes.json"
    assert main(["eval", "--checkpoint", str(run), "--metric", "modes", "--n", "200", "--reject-stretch", "0.1",
                 "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["reject_stretch"] == 0.1 and res["n_samples"] == 200
    assert main(["sample", "--checkpoint", str(run), "--n", "50", "--reject-stretch", "0.3",
                 "--out", str(tmp_path / "p.npy")]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):  # argparse's own usage error
        main(["eval", "--checkpoint", str(run), "--metric", "modes", "--reject-stretch", "1"])
    assert "--reject-stretch: a share in [0, 1), got 1.0" in capsys.readouterr().err
    cli_fails(["sample", "--checkpoint", str(run), "--interpolate", "--reject-stretch", "0.1",
              "--out", str(tmp_path / "w.png")], "takes no --reject-stretch")


# ----------------------------------------------------------------------- latent vector arithmetic
class LinearImages(nn.Module):
    """z (N, 4) -> a 1x2x2 "image" that is z itself (tanh-free): the figure's images are the latents."""

    def forward(self, z, labels=None):
        return z.reshape(len(z), 1, 2, 2)


def _image_sampler() -> Sampler:
    from translate.registry import NETS

    spec = {"name": "mlp_g", "kwargs": {"z_dim": 4, "out_dim": 4, "hidden": 4, "layers": 1}}
    tensors = {f"G.{k}": v for k, v in NETS.get("mlp_g")(**spec["kwargs"]).state_dict().items()}
    s = Sampler({"z_dim": 4, "output": "images", "sample_shape": [1, 2, 2], "nets": {"G": spec}}, tensors, "cpu")
    s.G = LinearImages()
    return s


def test_arithmetic_averages_each_group_and_sums_with_signs_exactly():
    s = _image_sampler()
    parts = s.arithmetic("0,1,2 - 3,4,5 + 6,7,8", n=16, seed=5, nearby=4, jitter=0.25)
    z = s.noise(16, 5)
    assert torch.equal(parts["z"], z)
    want = z[[0, 1, 2]].mean(0) - z[[3, 4, 5]].mean(0) + z[[6, 7, 8]].mean(0)
    assert torch.allclose(parts["result_z"], want, atol=0, rtol=0)
    assert torch.allclose(parts["result"].reshape(4), want)  # the generator's output of the result vector
    assert [(sign, idx) for sign, idx, _ in parts["groups"]] == [(1, [0, 1, 2]), (-1, [3, 4, 5]), (1, [6, 7, 8])]
    for (_, idx, mean), images in zip(parts["groups"], parts["group_images"]):
        assert torch.equal(images[:3].reshape(3, 4), z[idx]) and torch.allclose(images[3].reshape(4), mean)
    offsets = parts["nearby"].reshape(4, 4) - want
    assert offsets.abs().max() <= 0.25 and offsets.abs().max() > 0  # uniform noise of +-0.25, as in the paper


@pytest.mark.parametrize("expr,message", [("1 + x", "groups of grid indices"), ("1,2 - 99", "outside the grid"),
                                          ("", "groups of grid indices")])
def test_arithmetic_expressions_are_checked(expr, message):
    with pytest.raises(Exception, match=message):
        _image_sampler().arithmetic(expr, n=16)


def test_cli_arithmetic_writes_the_figure(tmp_path, capsys):
    from PIL import Image

    from translate.cli import main

    run = tmp_path / "run"
    assert main(["train", "--model", "dcgan", "--data", "digits", "--size", "28", "--ngf", "4", "--ndf", "4",
                 "--batch-size", "8", "--steps", "2", "--out", str(run)]) == 0
    assert main(["sample", "--checkpoint", str(run), "--arithmetic", "0,1,2 - 3,4,5 + 6,7,8", "--n", "16",
                 "--out", str(tmp_path / "sum.png")]) == 0
    assert "mean[0, 1, 2] - mean[3, 4, 5] + mean[6, 7, 8]" in capsys.readouterr().out
    fig = Image.open(tmp_path / "sum.png")
    # three group rows (3 exemplars + mean) and the result row (result + 8 nearby), 28 px images at scale 2
    assert fig.height == 4 * (2 * (28 + 4)) and fig.width == 24 + 2 * (2 + 9 * (28 + 2))
