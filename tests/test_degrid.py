"""The up-sampling grid taken out of a generator's change (translate/inference/degrid.py, --degrid)."""

import json

import pytest
import torch
import torch.nn.functional as F
from conftest import cli_fails

from translate.errors import CheckpointError
from translate.inference import ImageTranslator
from translate.inference.degrid import lattice_component, lattice_period, remove_lattice
from translate.metrics.grain import grid_db
from translate.nets.spec import net_spec


def _smooth(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return F.interpolate(torch.rand(shape[0], shape[1], shape[2] // 8, shape[3] // 8, generator=g) * 1.6 - 0.8,
                         size=shape[2:], mode="bicubic", align_corners=False)


def test_a_grid_whose_strength_varies_goes_and_natural_detail_stays():
    x = _smooth((2, 3, 64, 64), 0)
    g = torch.Generator().manual_seed(1)
    cell = torch.randn(1, 3, 4, 4, generator=g) * 0.05
    cell -= cell.mean((2, 3), keepdim=True)  # a grid; its cell's mean would be a uniform shift, which stays
    strength = torch.linspace(0.5, 1.5, 64)[None, None, :, None]  # brighter towards the bottom
    grid = cell.repeat(1, 1, 16, 16) * strength
    left = remove_lattice(x + grid, x, 4) - x
    assert left.square().sum() < 0.02 * grid.square().sum()
    assert grid_db(x + grid).mean() > grid_db(x + left).mean() + 10
    # detail with no lattice in it loses about (1 - 1/16) / 9 of its energy, as white noise would
    detail = torch.randn(2, 3, 64, 64, generator=g) * 0.05
    lost = lattice_component(detail, 4).square().sum() / detail.square().sum()
    assert 0.06 < lost < 0.14, lost
    # no change, nothing to take out; and a photo's own grid is never touched
    assert torch.equal(remove_lattice(x + grid, x + grid, 4), (x + grid).clamp(-1, 1))


def test_translator_degrid_follows_the_bundle_and_the_option(cyclegan_bundle, tmp_path):
    x = _smooth((1, 3, 64, 64), 2)
    plain = ImageTranslator.from_pretrained(cyclegan_bundle, precision="fp32", winograd=False, scale="native")
    assert plain.lattice is None  # a bundle that does not ask: the net's own output
    on = ImageTranslator.from_pretrained(cyclegan_bundle, precision="fp32", winograd=False, scale="native",
                                         degrid=True)
    assert on.lattice == 4
    y0, y1 = plain.translate_tensor(x), on.translate_tensor(x)
    # an untrained transposed-conv net paints a strong grid; it is gone, the rest of the change stays
    assert grid_db(y0).mean() > grid_db(y1).mean() + 6
    assert torch.allclose(y1, remove_lattice(y0, x, 4), atol=1e-5)
    # export --degrid writes it into the bundle; convert --no-degrid overrides it
    from translate.cli import main

    assert main(["export", "--checkpoint", str(cyclegan_bundle), "--out", str(tmp_path / "b"), "--degrid"]) == 0
    assert json.loads((tmp_path / "b" / "config.json").read_text())["degrid"] is True
    assert ImageTranslator.from_pretrained(tmp_path / "b", winograd=False).lattice == 4
    assert ImageTranslator.from_pretrained(tmp_path / "b", winograd=False, degrid=False).lattice is None


def test_degrid_refuses_nets_without_one_lattice(tmp_path, cyclegan_bundle):
    with pytest.raises(CheckpointError, match="drop --degrid"):
        lattice_period(net_spec("unet_g", in_channels=3, out_channels=3, num_downs=5, ngf=4), "facades")
    with pytest.raises(CheckpointError, match="drop --degrid"):
        lattice_period(net_spec("resnet_g", in_channels=1, out_channels=3, ngf=4, n_blocks=1), "x")
    config = json.loads((cyclegan_bundle / "config.json").read_text())
    for net in config["nets"].values():
        net["name"] = "unet_g"
    (tmp_path / "u").mkdir()
    (tmp_path / "u" / "config.json").write_text(json.dumps(config))
    (tmp_path / "u" / "model.safetensors").write_bytes((cyclegan_bundle / "model.safetensors").read_bytes())
    cli_fails(["export", "--checkpoint", str(tmp_path / "u"), "--out", str(tmp_path / "o"), "--degrid"],
              "drop --degrid")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("bundle,photo", [("horse2zebra", "horse_1.jpg"), ("summer2winter_yosemite", "summer_1.jpg"),
                                          ("apple2orange", "apple_1.jpg")])
def test_the_bundled_cpu_models_take_their_grid_out_by_default(bundle, photo):
    """Their config.json says so; the result is the net's output with remove_lattice applied at the size
    the net ran at (a demo photo at the 128 px work side: its own)."""
    from pathlib import Path

    import numpy as np
    from PIL import Image

    repo = Path(__file__).resolve().parents[1]
    photo = Image.open(repo / "translate" / "demo" / "examples" / photo).convert("RGB")
    x = torch.from_numpy(np.array(photo.resize((128, 128), Image.BICUBIC))).permute(2, 0, 1)[None] / 127.5 - 1
    root = repo / "checkpoints" / bundle
    default = ImageTranslator.from_pretrained(root, precision="fp32", winograd=False)
    raw = ImageTranslator.from_pretrained(root, precision="fp32", winograd=False, degrid=False)
    assert default.lattice == 4 and raw.lattice is None
    y, y_default = raw.translate_tensor(x), default.translate_tensor(x)
    assert torch.allclose(y_default, remove_lattice(y, x, 4), atol=1e-5)
    assert grid_db(y).mean() > grid_db(y_default).mean() + 3  # measured: 4.2 to 6.5 dB
