"""Image-translation data: unaligned (CycleGAN: trainA/ and trainB/), aligned (pix2pix: one A|B image
per example, or A/ and B/ folders with matching file names), and `open_translation_data`.

Batches are {"A": (N, C_in, S, S), "B": (N, C_out, S, S) floats in [-1, 1], "A_path", "B_path": lists
of str}; with --direction BtoA the two sides are swapped here, so models always translate "A" -> "B".
Keys are (index, item_seed) during training: every random choice (the partner B of an unpaired A, the
crop, the flip) is drawn from item_seed alone, so a batch is a pure function of (seed, position), in
worker processes too, and resuming is exact. A plain int key gives the deterministic preview
(center crop, no flip, B paired in order).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from translate.config import PAPER_CROP, default_load
from translate.data import folders
from translate.data.info import DataInfo
from translate.data.transforms import Preprocess, to_tensor
from translate.errors import DataError


def _pixels(path: Path, channels: int) -> np.ndarray:
    a = np.asarray(folders.load_image(path, channels))
    return a[:, :, None] if a.ndim == 2 else a


def _key(key) -> tuple[int, int | None]:
    return (key, None) if isinstance(key, (int, np.integer)) else (int(key[0]), int(key[1]))


class _Translation(torch.utils.data.Dataset):
    wants_seeds = True  # BatchStream hands out (index, item_seed) keys

    def __init__(self, pre: Preprocess, preview: Preprocess, channels_a: int, channels_b: int):
        self.pre, self.preview = pre, preview
        self.channels_a, self.channels_b = channels_a, channels_b

    @staticmethod
    def collate(items: list[dict]) -> dict:
        return {k: torch.stack([it[k] for it in items]) if torch.is_tensor(items[0][k]) else [it[k] for it in items]
                for k in items[0]}


class UnalignedImages(_Translation):
    """Two unrelated folders. Example i is A image i (mod |A|) with a random B image, or B image i
    (mod |B|) with `serial`; an epoch is max(|A|, |B|) examples, as in the official UnalignedDataset."""

    def __init__(self, paths_a: list[Path], paths_b: list[Path], pre: Preprocess, preview: Preprocess,
                 channels_a: int = 3, channels_b: int = 3, serial: bool = False):
        super().__init__(pre, preview, channels_a, channels_b)
        self.paths_a, self.paths_b, self.serial = paths_a, paths_b, serial

    def __len__(self) -> int:
        return max(len(self.paths_a), len(self.paths_b))

    def __getitem__(self, key) -> dict:
        i, seed = _key(key)
        pa = self.paths_a[i % len(self.paths_a)]
        if seed is None or self.serial:
            pb = self.paths_b[i % len(self.paths_b)]
        else:
            pb = self.paths_b[int(np.random.default_rng(seed).integers(len(self.paths_b)))]
        a, b = _pixels(pa, self.channels_a), _pixels(pb, self.channels_b)
        if seed is None:
            a, b = self.preview(a, 0), self.preview(b, 0)
        else:  # independent crops and flips for the two unrelated images
            a, b = self.pre(a, 2 * seed), self.pre(b, 2 * seed + 1)
        return {"A": to_tensor(a), "B": to_tensor(b), "A_path": str(pa), "B_path": str(pb)}


class AlignedImages(_Translation):
    """Pairs: either one image per example holding A on the left half and B on the right (the pix2pix
    layout), or two lists of files with matching names. Crop and flip are identical for A and B."""

    def __init__(self, pairs: list[tuple[Path, Path | None]], pre: Preprocess, preview: Preprocess,
                 channels_a: int = 3, channels_b: int = 3, swap: bool = False):
        super().__init__(pre, preview, channels_a, channels_b)
        self.pairs, self.swap = pairs, swap

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, key) -> dict:
        i, seed = _key(key)
        pa, pb = self.pairs[i]
        # Decode both sides with the channel count of the side they end up on after --direction.
        ca, cb = (self.channels_b, self.channels_a) if self.swap else (self.channels_a, self.channels_b)
        if pb is None:
            ab = _pixels(pa, 3)
            w2 = ab.shape[1] // 2
            a, b = _channels(ab[:, :w2], ca), _channels(ab[:, w2:2 * w2], cb)
            pb = pa
        else:
            a, b = _pixels(pa, ca), _pixels(pb, cb)
        if self.swap:
            a, b, pa, pb = b, a, pb, pa
        pre = self.preview if seed is None else self.pre
        a, b = _paired(pre, a, b, seed or 0)
        return {"A": to_tensor(a), "B": to_tensor(b), "A_path": str(pa), "B_path": str(pb)}


def _channels(rgb: np.ndarray, channels: int) -> np.ndarray:
    if channels == 3:
        return np.ascontiguousarray(rgb)
    from PIL import Image

    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).convert("L"))[:, :, None]


def _paired(pre: Preprocess, a: np.ndarray, b: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if a.shape[2] == b.shape[2]:
        return pre(a, seed, paired=b)
    # Different channel counts cannot share one albumentations call: the same seed gives the same
    # crop and flip because the geometry draws do not depend on the channel count.
    return pre(a, seed), pre(b, seed)


# ------------------------------------------------------------------------------------------ opening
def _folder_images(folder: Path) -> list[Path]:
    paths, _, _ = folders.list_images(folder, labeled=False)
    return paths


def _find_unaligned(root: Path, phase: str) -> tuple[Path, Path]:
    a, b = root / f"{phase}A", root / f"{phase}B"
    if a.is_dir() and b.is_dir():
        return a, b
    found = ", ".join(sorted(p.name + "/" for p in root.iterdir() if p.is_dir())) or "no folders"
    raise DataError(f"{root}: unpaired data needs {phase}A/ and {phase}B/ folders of images (CycleGAN layout: "
                     f"{root}/{phase}A/*.jpg, {root}/{phase}B/*.jpg); found {found}")


def _find_aligned(root: Path, phase: str) -> list[tuple[Path, Path | None]]:
    for base in (root / phase, root):
        if (base / "A").is_dir() and (base / "B").is_dir():
            a_paths, b_paths = _folder_images(base / "A"), _folder_images(base / "B")
            b_by_name = {p.relative_to(base / "B"): p for p in b_paths}
            pairs = [(p, b_by_name.get(p.relative_to(base / "A"))) for p in a_paths]
            missing = [str(a.relative_to(base / "A")) for a, b in pairs if b is None]
            if missing:
                raise DataError(f"{base / 'A'}: {len(missing)} image(s) have no partner with the same name in "
                                 f"{base / 'B'}, e.g. {missing[0]}; paired data needs matching file names")
            return pairs
    for base in (root / phase, root):
        if base.is_dir() and any(p.suffix.lower() in folders.IMAGE_SUFFIXES for p in base.iterdir()):
            return [(p, None) for p in _folder_images(base)]
    raise DataError(f"{root}: paired data needs {phase}/ with side-by-side A|B images (pix2pix layout: "
                     f"{root}/{phase}/1.jpg), or {phase}/A/ and {phase}/B/ folders with matching names")


def open_translation_data(dcfg, kind: str) -> tuple[_Translation, DataInfo]:
    """(source, DataInfo) for kind "paired" or "unpaired"; any layout problem exits with the fix. The load and
    crop sizes are resolved here, once: given, or from `--size`, or the papers' 286/256."""
    from translate.data.download import resolve_dataset

    root = resolve_dataset(dcfg.data, Path(dcfg.root))
    crop = dcfg.crop_size or dcfg.size or PAPER_CROP
    load = dcfg.load_size or default_load(crop)
    pre = Preprocess(dcfg.preprocess, load, crop, dcfg.flip, train=True)
    preview = Preprocess(dcfg.preprocess, load, crop, flip=False, train=False)
    swap = dcfg.direction == "BtoA"
    if kind == "unpaired":
        fa, fb = _find_unaligned(root, dcfg.phase)
        if swap:
            fa, fb = fb, fa
        pa, pb = _folder_images(fa), _folder_images(fb)
        if dcfg.max_images:
            pa, pb = pa[:dcfg.max_images], pb[:dcfg.max_images]
        source = UnalignedImages(pa, pb, pre, preview, dcfg.input_nc, dcfg.output_nc, dcfg.serial_batches)
    else:
        pairs = _find_aligned(root, dcfg.phase)
        if dcfg.max_images:
            pairs = pairs[:dcfg.max_images]
        source = AlignedImages(pairs, pre, preview, dcfg.input_nc, dcfg.output_nc, swap)
    size = crop if dcfg.preprocess not in ("scale_width", "none") else 0  # 0: varies with the image
    info = DataInfo(kind, str(root), channels=dcfg.input_nc, out_channels=dcfg.output_nc, image_size=size,
                    load_size=load if dcfg.preprocess == "resize_and_crop" else 0, direction=dcfg.direction)
    return source, info
