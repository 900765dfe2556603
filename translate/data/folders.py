"""Find data on disk and check it before training starts: named sets under --root, image folders
(flat, or one sub-folder per class), MNIST idx files. Every failure names the path and the fix."""

from __future__ import annotations

import contextlib
import gzip
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from translate.errors import DataError
from translate.registry import IMAGE_SUFFIXES

# The pixel budget of every image the project decodes (training data, convert, the demo): well above a
# 50-megapixel photo, and far below what would exhaust a 24 GB machine (a 120-megapixel image is 360 MB
# decoded, 1.4 GB as one float tensor). `--max-pixels` changes it per command.
MAX_PIXELS = 120_000_000


class ImageTooLarge(DataError):
    """An image over the pixel budget, or a decompression bomb: refused before decoding."""


@contextlib.contextmanager
def open_image(path: Path, max_pixels: int = 0):
    """Image.open with the pixel budget checked from the header, before any pixel is decoded. The budget
    is an error where Pillow's decompression-bomb check only warns (above 89 megapixels; it refuses above
    179); every failure is a DataError naming the file."""
    limit = max_pixels or MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the budget below decides
            im = Image.open(path)
    except Image.DecompressionBombError as e:
        raise ImageTooLarge(f"{path}: refused before decoding, a decompression bomb ({e})") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"{path}: cannot read it as an image ({e})") from None
    with im:
        w, h = im.size
        if w * h > limit:
            raise ImageTooLarge(f"{path}: {w}x{h} is {w * h / 1e6:.0f} megapixels, over the budget of "
                            f"{limit / 1e6:.0f}; shrink it first or raise `max_pixels`")
        yield im


def decodes(path: Path) -> str:
    """'' when every pixel of `path` decodes (not only its header: a truncated JPEG passes verify()), else
    the reason. JPEGs decode at 1/8 scale (draft mode): all of the compressed data is still read."""
    try:
        with open_image(path) as im:
            im.draft(im.mode if im.mode in ("RGB", "L") else None, (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
        return ""
    except DataError as e:
        return str(e).split(": ", 1)[-1]
    except (OSError, SyntaxError, ValueError, MemoryError) as e:
        return f"cannot decode it ({e})"


def resolve_folder(name: str, root: Path) -> Path:
    for cand in (Path(name), root / name):
        if cand.is_dir():
            return cand
    from translate.registry import DATASETS

    raise DataError(f"data {name!r} is neither a known name ({', '.join(DATASETS.names())}) nor a "
                     f"folder (looked for {Path(name)} and {root / name})")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def list_images(folder: Path, labeled: bool) -> tuple[list[Path], list[int], list[str]]:
    """(paths, labels, class names). Class names come from immediate sub-folders that hold images;
    for unlabeled use, every image under `folder` is taken. Unreadable files are skipped with a warning."""
    classes: list[str] = []
    labels: list[int] = []
    if labeled:
        subdirs = sorted(d for d in folder.iterdir() if d.is_dir() and _images_in(d))
        classes = [d.name for d in subdirs]
        paths = []
        for k, d in enumerate(subdirs):
            found = _images_in(d)
            paths += found
            labels += [k] * len(found)
        if len(classes) < 2:
            raise DataError(f"{folder}: a class-conditional model needs one sub-folder of images per class "
                             f"(found {len(classes)}), e.g. {folder}/cat/*.png {folder}/dog/*.png")
    else:
        paths = _images_in(folder)
    if not paths:
        raise DataError(f"{folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    good = [i for i, p in enumerate(paths) if _readable(p)]
    if len(good) < len(paths):
        warnings.warn(f"{folder}: skipped {len(paths) - len(good)} unreadable image(s)", stacklevel=2)
        paths = [paths[i] for i in good]
        labels = [labels[i] for i in good] if labels else labels
    return paths, labels, classes


def _readable(path: Path) -> bool:
    """Decoded in full once per file version (size and modification time), then remembered in a cache, so
    that a broken file is named here, once, instead of stopping training when the loader draws it."""
    st = path.stat()
    key, version = str(path.resolve()), [st.st_size, st.st_mtime_ns]
    cache = _decoded_cache()
    if cache.get(key) == version:
        return True
    reason = decodes(path)
    if reason:
        warnings.warn(f"skipping {path}: {reason}", stacklevel=3)
        return False
    cache[key] = version
    return True


_DECODED: dict | None = None


def _decoded_cache() -> dict:
    """Files known to decode, {absolute path: [size, mtime_ns]}, kept in the cache folder (translate/storage/cache.py)
    between runs and written back at exit."""
    global _DECODED
    if _DECODED is None:
        import atexit
        import json
        import os

        from translate.storage.cache import cache_dir

        path = cache_dir() / "decoded.json"
        try:
            _DECODED = json.loads(path.read_text())
        except (OSError, ValueError):
            _DECODED = {}
        if not isinstance(_DECODED, dict):
            _DECODED = {}
        start = len(_DECODED)

        def save():
            if len(_DECODED) != start:
                kept = {k: v for k, v in _DECODED.items() if os.path.exists(k)}  # forget deleted files
                with contextlib.suppress(OSError):
                    from translate.storage.atomic import atomic_write_bytes

                    atomic_write_bytes(path, json.dumps(kept).encode())

        atexit.register(save)
    return _DECODED


def to_8bit(im: Image.Image) -> Image.Image:
    """Integer images of more than 8 bits (I;16, I) as 8-bit L, by their full range (value / 257, the same
    in training and inference, whatever values a file happens to use); float images (F: a TIFF in [0, 1]
    or in [0, 255]) likewise. Other modes pass through."""
    if im.mode.startswith("I"):
        a = np.asarray(im, dtype=np.float64) / 257.0
    elif im.mode == "F":
        a = np.asarray(im, dtype=np.float64)
        a = a * 255.0 if np.nanmax(a, initial=0.0) <= 1.0 else a  # [0, 1] floats are the common convention
        a = np.nan_to_num(a)
    else:
        return im
    return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))


def load_image(path: Path, channels: int = 3) -> Image.Image:
    """Decode, apply EXIF orientation, and convert any mode (L, P, RGBA, I;16, F...) to RGB or L."""
    with open_image(path) as im:
        im = to_8bit(ImageOps.exif_transpose(im))
        return im.convert("RGB" if channels == 3 else "L")


def resize_center_crop(img: Image.Image, size: int) -> Image.Image:
    w, h = img.size
    s = size / min(w, h)
    img = img.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BICUBIC)
    w, h = img.size
    left, top = (w - size) // 2, (h - size) // 2
    return img.crop((left, top, left + size, top + size))


# ------------------------------------------------------------------------------------------- MNIST
@dataclass
class MnistFiles:
    images_train: Path
    labels_train: Path
    images_test: Path | None
    labels_test: Path | None


def _first(folder: Path, stems: tuple[str, ...]) -> Path | None:
    for stem in stems:
        for suffix in ("", ".gz"):
            p = folder / f"{stem}{suffix}"
            if p.is_file():
                return p
    return None


def find_mnist(root: Path, download: bool = False) -> MnistFiles:
    """MNIST idx files in `root/mnist` (or `root`): the full 60k training split when present, else the
    5k subset (train5k-*); t10k-* for the test split. With `download`, a missing set is fetched with
    torchvision's downloader (checksummed) into root/mnist/MNIST/raw."""
    for folder in (root / "mnist", root, root / "mnist" / "MNIST" / "raw"):
        img = _first(folder, ("train-images-idx3-ubyte", "train5k-images-idx3-ubyte"))
        if img is None:
            continue
        lab = _first(folder, (img.name.split("-images")[0] + "-labels-idx1-ubyte",))
        if lab is None:
            raise DataError(f"{img} has no matching labels file next to it")
        return MnistFiles(img, lab, _first(folder, ("t10k-images-idx3-ubyte",)),
                          _first(folder, ("t10k-labels-idx1-ubyte",)))
    if download:
        try:
            from torchvision.datasets import MNIST

            MNIST(str(root / "mnist"), train=True, download=True)
            MNIST(str(root / "mnist"), train=False, download=True)
            return find_mnist(root, download=False)
        except Exception as e:  # offline or a server error: fall through to the manual instructions
            reason = f" (download failed: {e.__class__.__name__}: {str(e)[:120]})"
    else:
        reason = ""
    raise DataError(f"MNIST not found under {root / 'mnist'}{reason}: put train-images-idx3-ubyte.gz and "
                     f"train-labels-idx1-ubyte.gz (and t10k-*) there, or pass `root` to the folder that "
                     f"holds mnist/")


def read_idx(path: Path) -> np.ndarray:
    """Read an idx file (raw or gzip): magic 2051 = uint8 images (N, H, W), 2049 = uint8 labels (N,)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read ({e}); download it again") from None
    magic = int.from_bytes(data[:4], "big")
    ndim = {2051: 3, 2049: 1}.get(magic)
    if ndim is None:
        raise DataError(f"{path}: not an MNIST idx file (magic {magic}, expected 2051 or 2049)")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path}: truncated ({body.size} bytes of pixels, header says {shape})")
    return body.reshape(shape).copy()
