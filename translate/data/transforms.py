"""Pixel conventions, in one place: images are uint8 HWC outside the nets and float CHW in [-1, 1]
inside. Training, sample grids and inference all go through these two functions."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def to_tensor(images: np.ndarray | Tensor) -> Tensor:
    """uint8 (H, W, C) or (N, H, W, C) or already-CHW uint8 tensors -> float in [-1, 1]."""
    t = torch.as_tensor(images)
    if t.dtype != torch.uint8:
        raise TypeError(f"expected uint8 pixels, got {t.dtype}")
    if isinstance(images, np.ndarray):  # numpy arrays are HWC by convention
        t = t.movedim(-1, -3)
    return t.float().div_(127.5).sub_(1.0)  # in place: one float copy of a large image, not three


def to_uint8(x: Tensor) -> Tensor:
    """float in [-1, 1] (any shape) -> uint8 in [0, 255], rounded, same layout. Large tensors go in chunks, so
    a 120-megapixel image needs no float temporaries of its own size."""
    x = x.detach()
    if x.numel() <= 1 << 22:
        return x.float().add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)
    out = torch.empty(x.shape, dtype=torch.uint8)
    flat_in, flat_out = x.reshape(-1), out.view(-1)  # reshape copies only a non-contiguous input
    for i in range(0, flat_in.numel(), 1 << 22):
        flat_out[i:i + (1 << 22)] = to_uint8(flat_in[i:i + (1 << 22)])
    return out


def to_unit(x: Tensor) -> Tensor:
    """float in [-1, 1] -> float in [0, 1] (what Parzen and Inception expect)."""
    return x.float().add(1.0).mul(0.5).clamp(0, 1)


# ------------------------------------------------------------------------- pix2pix / CycleGAN geometry
PREPROCESS_MODES = ("resize_and_crop", "scale_width", "scale_width_and_crop", "crop", "none")


class Preprocess:
    """The official `--preprocess` modes, built on albumentations (bicubic resizes as in the official
    code; cv2's cubic kernel, so pixels differ slightly from PIL's):

      resize_and_crop        resize to load x load, random crop crop x crop
      scale_width            resize to width `load`, keeping the aspect (height at least `crop`)
      scale_width_and_crop   scale_width, then random crop crop x crop
      crop                   random crop crop x crop
      none                   only round the sides to multiples of 4 (what the ResNet generator needs)

    then a horizontal flip with probability 1/2 when `flip`. `train=False` replaces random crops with
    center crops and never flips. `paired` images ("B" alongside "image") get identical crops and flips.
    Randomness comes only from the `seed` passed per call, so an example is a pure function of it.
    """

    def __init__(self, mode: str, load_size: int, crop_size: int, flip: bool, train: bool = True):
        if mode not in PREPROCESS_MODES:
            raise ValueError(f"unknown --preprocess {mode!r}; valid: {', '.join(PREPROCESS_MODES)}")
        self.mode, self.load, self.crop, self.flip, self.train = mode, load_size, crop_size, flip, train
        self._cache: dict = {}

    def __call__(self, image: np.ndarray, seed: int, paired: np.ndarray | None = None):
        """uint8 HWC array(s) -> transformed uint8 HWC array(s) (a tuple when `paired` is given)."""
        h, w = image.shape[:2]
        if paired is not None and paired.shape[:2] != (h, w):
            raise ValueError(f"paired images differ in size: {image.shape[:2]} vs {paired.shape[:2]}")
        key = (h, w, paired is not None)
        pipe = self._cache.get(key)
        if pipe is None:
            pipe = self._cache[key] = self._build(h, w, paired is not None)
        pipe.set_random_seed(seed)
        if paired is None:
            return pipe(image=image)["image"]
        out = pipe(image=image, image_B=paired)
        return out["image"], out["image_B"]

    def _build(self, h: int, w: int, paired: bool):
        import albumentations as A
        import cv2

        cubic = cv2.INTER_CUBIC
        ops: list = []
        mode, load, crop = self.mode, self.load, self.crop
        if mode == "resize_and_crop":
            ops.append(A.Resize(load, load, interpolation=cubic))
            h = w = load
        elif mode.startswith("scale_width"):
            if w != load or h < crop:
                h, w = int(max(load * h / w, crop)), load
                ops.append(A.Resize(h, w, interpolation=cubic))
        elif mode == "none":
            h4, w4 = max(4, round(h / 4) * 4), max(4, round(w / 4) * 4)
            if (h4, w4) != (h, w):
                ops.append(A.Resize(h4, w4, interpolation=cubic))
        if mode in ("resize_and_crop", "scale_width_and_crop", "crop"):
            if h < crop or w < crop:  # too small to crop: scale the shorter side up to the crop first
                s = crop / min(h, w)
                h, w = max(crop, round(h * s)), max(crop, round(w * s))
                ops.append(A.Resize(h, w, interpolation=cubic))
            ops.append(A.RandomCrop(crop, crop) if self.train else A.CenterCrop(crop, crop))
        if self.flip and self.train:
            ops.append(A.HorizontalFlip(p=0.5))
        return A.Compose(ops, additional_targets={"image_B": "image"} if paired else None)


def grid_image(images: Tensor, nrow: int = 8, scale: int = 1):
    """(N, C, H, W) in [-1, 1] -> one PIL image, `nrow` per row, 2-pixel white gaps, each pixel
    repeated `scale` times (small digits stay crisp in a browser)."""
    from PIL import Image
    from torchvision.utils import make_grid

    grid = to_uint8(make_grid(images.float(), nrow=nrow, padding=2, pad_value=1.0))
    if scale > 1:
        grid = grid.repeat_interleave(scale, 1).repeat_interleave(scale, 2)
    arr = grid.permute(1, 2, 0).numpy()
    return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
