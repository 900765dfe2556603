"""Writing translated images: the formats an output can have, and atomic encoding (a reader never sees half
a file; an encoder failure leaves nothing behind)."""

from __future__ import annotations

from pathlib import Path

from translate.inference.records import digest

# What each output suffix is written as: every suffix the project reads (registry.IMAGE_SUFFIXES) can be written.
FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP", "bmp": "BMP", "tif": "TIFF", "tiff": "TIFF",
           "ppm": "PPM", "gif": "GIF"}


def side_by_side_pair(source, result):
    """The input and its translation in one image, input on the left (`convert --side-by-side`)."""
    from PIL import Image

    mode = result.mode
    pair = Image.new(mode, (source.width + result.width, max(source.height, result.height)))
    pair.paste(source.convert(mode), (0, 0))
    pair.paste(result, (source.width, 0))
    return pair


def write_image_atomic(image, dst: Path, quality: int = 95, icc_profile: bytes | None = None) -> tuple[bool, str]:
    """Encode in memory, then atomic.atomic_write_bytes (temporary file, fsync, rename): readers never
    see half a file, and an encoder failure leaves nothing behind. Returns whether the image's transparency
    was lost to a format that cannot hold it (JPEG, PPM: composited on white; GIF: one transparent index),
    and the digest of the bytes written (the in-place journal keeps it)."""
    import io

    from translate.storage.atomic import atomic_write_bytes

    fmt = FORMATS.get(dst.suffix.lower().lstrip("."))
    if fmt is None:
        raise ValueError(f"cannot write {dst.suffix!r} files; use `format` png|jpg|webp")
    from PIL import Image

    translucent = image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema()[0] < 255
    if fmt in ("JPEG", "PPM") and image.mode in ("RGBA", "LA"):  # no alpha channel: on white, as viewers show it
        flat = Image.new(image.mode[:-1], image.size, "white")
        flat.paste(image.convert(image.mode[:-1]), mask=image.getchannel("A"))
        image = flat
    elif fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    # the input's colour profile describes the output too only when both are RGB (or both gray): a CMYK
    # photo's profile on RGB pixels would make every viewer render wrong colours
    space = icc_profile[16:20] if icc_profile and len(icc_profile) >= 20 else b""
    if fmt in ("PNG", "JPEG", "WEBP", "TIFF") and space == (b"GRAY" if image.mode in ("L", "LA") else b"RGB "):
        options["icc_profile"] = icc_profile
    dst.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    data = buf.getbuffer()  # a view: a 120-megapixel PNG's bytes are not copied twice more
    atomic_write_bytes(dst, data)
    return translucent and fmt in ("JPEG", "PPM", "GIF"), digest(data)
