"""Images in and out of a translator: any PIL image or array to the net's input and back (`prepare`,
`finish`), and the scale a net works at (`work_side`, `at_work_scale`)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from translate.config import LOAD_PER_CROP
from translate.data.transforms import to_uint8
from translate.errors import OptionError
from translate.inference import resample

EXIF_ORIENTATION = 0x0112
IMAGE_TYPES = ("PIL.Image", "numpy uint8 (H, W[, C])", "tensor (C, H, W) or (N, C, H, W) in [-1, 1]")


@dataclass
class Prepared:
    """An image made ready for the net, and what is needed to give the result the input's form."""

    x: Tensor  # (C_in, H, W) uint8 pixels 0-255 (4x smaller than floats: a large photo's float copy is made
    # a strip or a tile at a time; ImageTranslator.translate_uint8 takes it, resample.as_float converts it)
    alpha: object = None  # PIL "L" image of the input's alpha channel, put back untouched
    gray: bool = False
    as_array: bool = False
    icc_profile: bytes | None = None
    source: object = None  # the input as the net saw it (after EXIF and max_side), for side-by-side views


def prepare(image, channels: int = 3, max_side: int | None = None) -> Prepared:
    """PIL image or NumPy uint8 array -> the net's input and what `finish` needs (thread-safe)."""
    import numpy as np
    from PIL import Image, ImageOps

    as_array = isinstance(image, np.ndarray)
    if as_array:
        if image.dtype != np.uint8:
            raise TypeError(f"expected a uint8 array, got {image.dtype}")
        img = Image.fromarray(image)
    elif isinstance(image, Image.Image):
        # exif_transpose copies even an upright image; the caller's is never changed here, so it is used as is
        img = ImageOps.exif_transpose(image) if image.getexif().get(EXIF_ORIENTATION, 1) != 1 else image
    else:
        raise TypeError(f"cannot translate a {type(image).__name__}; pass one of: {'; '.join(IMAGE_TYPES)}")
    if max_side and max(img.size) > max_side:
        s = max_side / max(img.size)
        img = img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.BICUBIC)
    alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else None
    gray = img.mode in ("L", "LA", "1", "I", "I;16", "I;16B", "I;16L", "F")
    if img.mode.startswith("I") or img.mode == "F":  # 16-bit, 32-bit or float grayscale -> 8 bits
        from translate.data.folders import to_8bit

        img = to_8bit(img)
    elif img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
        alpha = img.getchannel("A")
    x = torch.from_numpy(_pixels(img, "RGB" if channels == 3 else "L")).permute(2, 0, 1)  # a view: no copy
    return Prepared(x, alpha, gray, as_array, img.info.get("icc_profile"), img)


def _pixels(img, mode: str):
    """A PIL image's pixels in `mode` as one (H, W, C) uint8 array, converted a band of rows at a time: a
    120-megapixel photo's whole-image conversion would hold two more copies of it (the converted image and
    the bytes numpy reads it through). Every conversion to RGB or L is per pixel, so bands change nothing."""
    import numpy as np

    channels = len(mode)
    pixels = np.empty((img.height, img.width, channels), np.uint8)
    rows = max(1, BAND_PIXELS // max(1, img.width))
    for top in range(0, img.height, rows):
        band = img.crop((0, top, img.width, min(img.height, top + rows)))
        pixels[top:top + band.height] = np.asarray(band.convert(mode)).reshape(band.height, img.width, channels)
    return pixels


BAND_PIXELS = 1 << 22  # pixels per band of `_pixels`: 12 MB of RGB at a time


def finish(y: Tensor, prep: Prepared):
    """The net's output (C_out, H, W) -> an image of the input's kind, mode and alpha (thread-safe)."""
    import numpy as np
    from PIL import Image

    arr = (y if y.dtype == torch.uint8 else to_uint8(y)).permute(1, 2, 0).numpy()
    out = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
    if prep.gray and out.mode != "L":
        out = out.convert("L")
    if prep.alpha is not None:
        out = out.convert("LA" if out.mode == "L" else "RGBA")
        out.putalpha(prep.alpha)
    return np.asarray(out) if prep.as_array else out


SCALES = ("auto", "train", "native")


def work_side(config: dict, scale: str | int = "auto") -> int:
    """The shorter side a translator works at, or 0 for the input's own resolution.

    "train": the scale at which the net learned what a horse and a stripe look like. The official test.py
    resizes photos to the crop size, 256/286 of the side they had in training (`train_frame`, the load
    size of resize_and_crop); that ratio is kept, so a standard recipe works at its crop size (`train_size`,
    also what bundles from before `train_frame` was recorded give) and a recipe that cropped 128 px from
    photos loaded at 286 works at 256. "native": the input's resolution; an int: that side; "auto"
    (default): what the bundle's model declares (`work_scale`, models/translation.py), "native" for a net
    whose channels change (a grayscale-to-colour map keeps every pixel).
    """
    if isinstance(scale, int) or str(scale).isdigit():
        side = int(scale)
        if side == 0:  # the "no work side" of the return value
            return 0
        if side < 8:
            raise OptionError(f"`scale` {side}: a work side below 8 pixels leaves the net nothing to see")
        return side
    if scale not in SCALES:
        raise OptionError(f"`scale` {scale!r}: use one of {', '.join(SCALES)} or a side in pixels")
    if scale == "auto":
        same = config.get("in_channels", 3) == config.get("out_channels", 3)
        scale = declared_work_scale(config) if same else "native"
    if scale == "native":
        return 0
    frame = int(config.get("train_frame") or 0)
    return round(frame / LOAD_PER_CROP) if frame else int(config.get("train_size") or 0)


def declared_work_scale(config: dict) -> str:
    """The bundle's `work_scale`; a bundle written before bundles carried it gets its model's (a registry
    look-up), a model this version does not know "native"."""
    if config.get("work_scale") in ("train", "native"):
        return config["work_scale"]
    from translate.registry import MODELS

    model = config.get("model")
    return getattr(MODELS.get(model), "work_scale", "native") if model in MODELS else "native"


def at_work_scale(translate_fn, x: Tensor, side: int, out: Tensor | None = None) -> Tensor:
    """Translate (N, C, H, W) at a shorter side of `side` and return it at H x W with the input's detail.

    The net sees the photo at the scale it was trained on, so a horse is as many pixels wide as in its
    training crops and the stripes it paints have the width it learned (run at 256 px, a 128 px model
    painted a fine stripe texture over the whole frame instead). The translation is then upsampled, and
    the frequencies above the work scale (fur, grass blades, the sharpness of edges) come back from the
    input: out = up(G(down(x))) + (x - up(down(x))), computed as x + up(G(down(x)) - down(x)) (the same, as
    upsampling is linear). The colour and every pattern coarser than a few pixels at the work scale are the
    model's; only finer detail is the input's.

    x is uint8 pixels or floats in [-1, 1]. Both resizings run strip by strip (inference/resample.py), into
    `out` (float, or uint8 0-255): from uint8 pixels into uint8, a 120-megapixel photo never exists as floats.
    """
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    s = side / min(h, w)
    small = (max(1, round(h * s)), max(1, round(w * s)))
    low = resample.resize(x, small, "bicubic", antialias=True)
    y_low = translate_fn(low).float()
    out = torch.empty(x.shape[0], y_low.shape[1], h, w) if out is None else out
    if y_low.shape[1] != x.shape[1]:  # other channels: none of the input's detail to put back
        y = F.interpolate(y_low, size=(h, w), mode="bicubic", align_corners=False).clamp_(-1, 1)
        return out.copy_(to_uint8(y) if out.dtype == torch.uint8 else y)
    change = y_low - low  # what the net did, at the work scale
    rows_of, cols_of = resample.resize_matrix(small[0], h), resample.resize_matrix(small[1], w).T
    step = max(1, resample.STRIP_PIXELS // w)
    for r in range(0, h, step):
        strip = (resample.as_float(x[..., r:r + step, :]) + rows_of[r:r + step] @ change @ cols_of).clamp_(-1, 1)
        out[..., r:r + step, :] = to_uint8(strip) if out.dtype == torch.uint8 else strip
    return out
