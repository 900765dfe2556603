"""docs/extending.md runs as written: its new model file and registry line make a model that trains, converts
at its declared scale, exports (bundle and ONNX) and serves in the demo with no other change; its data set
file and line make a data set the GAN trains on."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_config
from PIL import Image

from translate import registry
from translate.registry import DATASETS, MODELS

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def _install(block: str, monkeypatch) -> str:
    """Put a file block of the page where its first line says, as a module (in sys.modules, not on disk)."""
    path = re.match(r"# (translate/\S+\.py)\n", block).group(1)
    name = path.removesuffix(".py").replace("/", ".")
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(block, path, "exec"), module.__dict__)  # noqa: S102 - the documented code, as written
    return name


def _register(line: str, table, monkeypatch) -> str:
    """The page's registry line, evaluated as an entry of `table`'s dict."""
    entries = eval("{" + line.strip().rstrip(",") + "}", vars(registry))  # noqa: S307
    for name, entry in entries.items():
        monkeypatch.setitem(table._entries, name, entry)
    return next(iter(entries))


@pytest.fixture
def simgan(monkeypatch):
    model_file, line = _blocks()[0], _blocks()[1]
    assert "class SimGAN(TranslationModel)" in model_file and line.lstrip().startswith('"simgan"')
    _install(model_file, monkeypatch)
    return _register(line, MODELS, monkeypatch)


def test_the_documented_model_trains_converts_exports_and_serves_in_the_demo(simgan, unpaired_root, tmp_path,
                                                                             monkeypatch):
    from translate.cli import main
    from translate.config import LOAD_PER_CROP
    from translate.demo import app
    from translate.inference import load
    from translate.training.trainer import Trainer

    cfg = make_config(simgan, str(unpaired_root), train={"steps": 3, "batch_size": 2, "n_samples": 2},
                      model_kw={"ngf": 4, "ndf": 4}, data_kw={"crop_size": 32, "load_size": 40})
    run = Trainer(cfg, tmp_path / "run", quiet=True).fit()
    assert (run / "samples" / "latest.png").is_file()

    # convert: the bundle says how to translate; a large photo goes through the learned scale
    t = load(run, direction="AtoB")
    assert t.config["work_scale"] == "train" and t.config["train_frame"] == 40
    assert t.work_side == round(40 / LOAD_PER_CROP)
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8))
    assert t(photo).size == (128, 96) and t.rescales(96, 128)
    assert main(["convert", "--checkpoint", str(run), "--input", str(unpaired_root / "testA"),
                 "--output", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").iterdir())) == len(list((unpaired_root / "testA").iterdir()))

    # export: a half-precision bundle that loads, and the list of models describes it
    bundle = tmp_path / "models" / "horse2zebra"
    assert main(["export", "--checkpoint", str(run), "--out", str(bundle), "--half"]) == 0
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert torch.allclose(load(bundle)(x), t(x), atol=1e-2)
    pytest.importorskip("onnx")
    assert main(["export", "--checkpoint", str(bundle), "--format", "onnx", "--out", str(tmp_path / "g.onnx")]) == 0

    # the demo: the bundle named horse2zebra in the user's folder serves horse -> zebra and says what it is
    monkeypatch.chdir(tmp_path)  # no ./checkpoints folder of a checkout in the way
    zoo = app.ModelZoo(roots=[tmp_path / "models"], bundled=None, weights=tmp_path / "none")
    image, _, status = app.translate_image(zoo, "Object transfiguration", "horse → zebra", photo)
    assert image.size == photo.size and "SimGAN" in status
    with pytest.raises(Exception, match="zebra"):  # one direction only: the other asks for its weights
        app.translate_image(zoo, "Object transfiguration", "zebra → horse", photo)


def test_the_documented_data_set_trains_the_gan(monkeypatch, tmp_path):
    pytest.importorskip("sklearn")
    from translate.training.trainer import Trainer

    data_file, line = _blocks()[2], _blocks()[3]
    _install(data_file, monkeypatch)
    name = _register(line, DATASETS, monkeypatch)
    assert name == "moons" and "moons" in DATASETS.names(kind="points")
    run = Trainer(make_config("gan", "moons", train={"steps": 3}), tmp_path / "r", quiet=True).fit()
    assert (run / "bundle" / "model.safetensors").is_file()
    from translate.inference import load

    points = load(run).sample(16, seed=0)
    assert points.shape == (16, 2) and torch.isfinite(points).all()
