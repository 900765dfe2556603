"""Shared fixtures: tiny data made on the fly (no downloads), and quick run configs."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from translate.config import DataConfig, RunConfig, TrainConfig, build
from translate.models.configs import MODEL_CONFIGS

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write_idx(path: Path, array: np.ndarray) -> None:
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory) -> Path:
    """A fake MNIST in idx format: 300 training and 200 test 28x28 'digits' whose class sets a bright
    square's position, so a classifier or a GAN has something learnable."""
    root = tmp_path_factory.mktemp("mnist_root")
    folder = root / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 300), ("t10k", 200)):
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 40, (n, 28, 28))
        for i, y in enumerate(labels):
            r, c = divmod(int(y), 4)
            images[i, 2 + 8 * r:8 + 8 * r, 2 + 6 * c:8 + 6 * c] = 230
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return root


def make_config(model: str = "gan", data: str = "ring8", root: str = "datasets", train: dict | None = None,
                model_kw: dict | None = None, data_kw: dict | None = None) -> RunConfig:
    """A tiny, fast RunConfig: small widths, few steps, quiet intervals."""
    mcls = MODEL_CONFIGS[model]
    tiny = {"gan": {"g_hidden": 16, "d_hidden": 16, "g_layers": 2, "d_layers": 2, "maxout": 2},
            "dcgan": {"z_dim": 8, "ngf": 4, "ndf": 4}, "cgan": {"z_dim": 8, "ngf": 4, "ndf": 4}}[model]
    t = {"steps": 4, "batch_size": 16, "sample_every": 1000, "checkpoint_every": 1000, "log_every": 1,
         "n_samples": 16, **(train or {})}
    return RunConfig(model, build(TrainConfig, mcls.TRAIN_DEFAULTS, t),
                     build(DataConfig, {"data": data, "root": root, "holdout": 50, **(data_kw or {})}),
                     build(mcls, {**tiny, **(model_kw or {})}))
