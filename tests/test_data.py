"""Data: toy mixtures, the resumable batch stream, MNIST idx files, image folders, clear errors."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
import torch
from conftest import SHARED_DATA, write_idx
from PIL import Image

from translate.config import DataConfig
from translate.data import BatchStream, open_data
from translate.data.datasets import ToyMixture
from translate.data.folders import read_idx
from translate.errors import TranslateError


@pytest.mark.parametrize("name,k,sigma,radius", [("ring8", 8, 0.01, 1.0), ("grid25", 25, 0.05, None)])
def test_toy_mixtures_follow_the_pacgan_spec(name, k, sigma, radius):
    mix = ToyMixture(name)
    assert len(mix.centers) == k and mix.sigma == sigma
    if radius:
        assert torch.allclose(mix.centers.norm(dim=1), torch.full((k,), radius))
    else:
        assert sorted(set(mix.centers[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    b = mix.sample(20000, torch.Generator().manual_seed(0))
    offset = b["x"] - mix.centers[b["y"]]
    assert offset.std().item() == pytest.approx(sigma, rel=0.03)
    assert torch.bincount(b["y"], minlength=k).min() > 20000 / k * 0.85


def test_stream_is_a_pure_function_of_seed_and_position(mnist_root):
    source, _ = open_data(DataConfig(data="mnist", root=str(mnist_root), holdout=0), "dcgan", ("images",))
    a = BatchStream(source, 32, seed=3)
    batches = [next(a) for _ in range(12)]  # 300 // 32 = 9 per epoch: crosses an epoch boundary
    b = BatchStream(source, 32, seed=3, position=7)
    for i in range(7, 12):
        nb = next(b)
        assert torch.equal(nb["x"], batches[i]["x"]) and torch.equal(nb["y"], batches[i]["y"])
    assert not torch.equal(next(BatchStream(source, 32, seed=4))["x"], batches[0]["x"])
    # an epoch visits every example once
    seen = torch.cat([bt["x"].flatten(1) for bt in batches[:9]])
    assert len(torch.unique(seen, dim=0)) == 9 * 32


def test_toy_stream_resumes_too():
    src = ToyMixture("grid25")
    a = BatchStream(src, 8, seed=1)
    first = [next(a)["x"] for _ in range(5)]
    b = BatchStream(src, 8, seed=1, position=3)
    assert torch.equal(next(b)["x"], first[3])


def test_mnist_holdout_and_sizes(mnist_root):
    source, info = open_data(DataConfig(data="mnist", root=str(mnist_root), holdout=100), "dcgan", ("images",))
    assert len(source) == 200 and info.channels == 1 and info.image_size == 28 and info.n_classes == 10
    batch = source.get_batch([0, 1])
    assert batch["x"].shape == (2, 1, 28, 28) and -1 <= batch["x"].min() and batch["x"].max() <= 1
    source32, info32 = open_data(DataConfig(data="mnist", root=str(mnist_root), size=32, holdout=0), "dcgan",
                                 ("images",))
    assert source32.get_batch([0])["x"].shape == (1, 1, 32, 32) and len(source32) == 300


def test_mnist_holdout_is_drawn_from_every_class_of_a_sorted_file(tmp_path):
    """The 5k MNIST subset is sorted by class; holding out its last 1,000 digits once removed every 8
    and 9 from training. The held-out digits are a fixed-seed random choice, shared with Parzen."""
    from translate.data.datasets import holdout_split, load_mnist

    labels = np.repeat(np.arange(10, dtype=np.uint8), 50)  # sorted, as train5k is
    images = np.repeat(labels[:, None, None], 28 * 28, 1).reshape(-1, 28, 28).astype(np.uint8)
    (tmp_path / "mnist").mkdir()
    write_idx(tmp_path / "mnist" / "train5k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "mnist" / "train5k-labels-idx1-ubyte.gz", labels)
    source, _ = load_mnist(tmp_path, holdout=100, size=28)
    assert len(source) == 400 and torch.bincount(source.labels, minlength=10).min() >= 25
    keep, held = holdout_split(500, 100)
    assert len(set(keep.tolist()) | set(held.tolist())) == 500 and not set(keep.tolist()) & set(held.tolist())
    assert torch.equal(source.labels, torch.from_numpy(labels)[keep].long())
    assert torch.equal(holdout_split(500, 100)[1], held)  # the same split every time


def test_idx_errors_name_the_file(tmp_path):
    bad = tmp_path / "x-images-idx3-ubyte.gz"
    with gzip.open(bad, "wb") as f:
        f.write((1234).to_bytes(4, "big") + b"\0" * 20)
    with pytest.raises(TranslateError, match=f"{bad}: not an MNIST idx file"):
        read_idx(bad)
    write_idx(tmp_path / "ok.gz", np.zeros((3, 4, 4)))
    data = gzip.open(tmp_path / "ok.gz").read()
    (tmp_path / "short").write_bytes(data[:-5])
    with pytest.raises(TranslateError, match="truncated"):
        read_idx(tmp_path / "short")


def test_missing_mnist_tries_the_downloader_then_says_where_to_put_it(tmp_path, monkeypatch):
    import torchvision.datasets

    calls = []

    class OfflineMNIST:
        def __init__(self, root, train, download):
            calls.append((root, train, download))
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets, "MNIST", OfflineMNIST)
    with pytest.raises(TranslateError, match=r"MNIST not found under .*download failed: RuntimeError.*put "
                                         r"train-images-idx3-ubyte.gz"):
        open_data(DataConfig(data="mnist", root=str(tmp_path)), "dcgan", ("images",))
    assert calls == [(str(tmp_path / "mnist"), True, True)]


def _save(path, mode, size=(20, 12)):
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 4 if mode == "RGBA" else 3), dtype=np.uint8)
    img = Image.fromarray(arr, "RGBA" if mode == "RGBA" else "RGB")
    img = img.convert(mode) if mode not in ("RGB", "RGBA") else img
    img.save(path)


def test_image_folder_converts_modes_and_skips_corrupt_files(tmp_path):
    folder = tmp_path / "imgs"
    for i, mode in enumerate(("RGB", "L", "RGBA", "P")):
        _save(folder / f"{i}.png", mode)
    (folder / "broken.jpg").write_bytes(b"this is not an image")
    with pytest.warns(UserWarning, match="broken.jpg"):
        source, info = open_data(DataConfig(data=str(folder), size=32), "dcgan", ("images",))
    assert len(source) == 4 and info.channels == 3 and info.image_size == 32
    batch = source.collate([source[i] for i in range(4)])
    assert batch["x"].shape == (4, 3, 32, 32)


def test_class_folders_give_labels_and_a_single_folder_is_refused(tmp_path):
    for cls in ("cat", "dog"):
        for i in range(3):
            _save(tmp_path / "pets" / cls / f"{i}.png", "RGB")
    source, info = open_data(DataConfig(data=str(tmp_path / "pets"), size=28), "cgan", ("labeled",))
    assert info.class_names == ["cat", "dog"] and sorted(source.labels) == [0, 0, 0, 1, 1, 1]
    _save(tmp_path / "flat" / "a.png", "RGB")
    with pytest.raises(TranslateError, match="one sub-folder of images per class"):
        open_data(DataConfig(data=str(tmp_path / "flat")), "cgan", ("labeled",))


def test_unknown_data_and_empty_folder_are_clear(tmp_path):
    with pytest.raises(TranslateError, match="neither a known name"):
        open_data(DataConfig(data="horse3zebra", root=str(tmp_path)), "dcgan", ("images",))
    (tmp_path / "empty").mkdir()
    with pytest.raises(TranslateError, match="holds no images"):
        open_data(DataConfig(data=str(tmp_path / "empty")), "dcgan", ("images",))


def test_batch_size_larger_than_data_is_explained(mnist_root):
    dcfg = DataConfig(data="mnist", root=str(mnist_root), max_images=10, holdout=0)
    source, _ = open_data(dcfg, "dcgan", ("images",))
    with pytest.raises(TranslateError, match="fewer than `batch_size` 64; lower `batch_size` to at most 10"):
        BatchStream(source, 64, seed=0)


def test_digits_from_scikit_learn():
    pytest.importorskip("sklearn")
    source, info = open_data(DataConfig(data="digits"), "cgan", ("labeled",))
    assert len(source) == 1797 and info.image_size == 32 and info.n_classes == 10


@pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(), reason="../shared/data/mnist is not beside this clone")
def test_real_mnist_files_load_with_their_published_counts():
    train, info = open_data(DataConfig(data="mnist", root=str(SHARED_DATA), holdout=1000), "dcgan", ("images",))
    assert len(train) == 4000 and info.image_size == 28
    labels = read_idx(SHARED_DATA / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert math.isclose(float(train.images.float().mean()) / 255, 0.13, abs_tol=0.01)  # MNIST's mean ink
