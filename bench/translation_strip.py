"""Render `input | output` rows for a few held-out test images with a trained bundle or run folder, as a
PNG for docs and model cards (through translate.load, the ImageTranslator).

  python bench/translation_strip.py --checkpoint checkpoints/run-h2z-64 --direction AtoB \
      --images ../shared/data/horse2zebra/testA --n 4 --size 64 --colors 256 --out docs/cyclegan_h2z_test.png
  python bench/translation_strip.py --checkpoint RUN --images ../shared/data/facades/test --paired-half right ...

Images are resized (shorter side) and center-cropped to --size (model cards: 256, the demo's size), and
translated as `translate convert` would (its default --scale).
With --paired-half the input is that half of an A|B image and the other half is shown as the target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from translate import load  # noqa: E402
from translate.data.folders import list_images, load_image, resize_center_crop  # noqa: E402
from translate.data.transforms import grid_image, to_tensor  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--direction", default="AtoB")
    p.add_argument("--images", required=True)
    p.add_argument("--n", type=int, default=4)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--paired-half", choices=("left", "right"))
    p.add_argument("--colors", type=int, default=0,
                   help="quantize the PNG to this many colours (256 keeps model cards small; 0: full colour)")
    p.add_argument("--pairs-per-row", type=int, default=1, help="input|output pairs side by side in each row")
    p.add_argument("--scale", default="auto", help="the translator's work scale (translate convert --scale)")
    p.add_argument("--degrid", action=argparse.BooleanOptionalAction, default=None,
                   help="take the up-sampling grid out (translate convert --degrid; default: as the bundle says)")
    p.add_argument("--out", required=True, help="a .png, or a .jpg (quality 88) for photo strips in model cards")
    a = p.parse_args()
    translator = load(a.checkpoint, direction=a.direction, device="cpu", scale=a.scale, degrid=a.degrid)
    paths, _, _ = list_images(Path(a.images), labeled=False)
    cols = []
    for path in paths[:a.n]:
        img = load_image(path)
        target = None
        if a.paired_half:
            w = img.size[0] // 2
            left, right = img.crop((0, 0, w, img.size[1])), img.crop((w, 0, 2 * w, img.size[1]))
            img, target = (right, left) if a.paired_half == "right" else (left, right)
        x = to_tensor(np.array(resize_center_crop(img, a.size)))[None]
        y = translator(x)  # BatchNorm nets use the image's own statistics, as the official test.py does
        row = [x, y] + ([to_tensor(np.array(resize_center_crop(target, a.size)))[None]] if target else [])
        cols.append(torch.cat(row))
    from PIL import Image

    out = Path(a.out)
    strip = grid_image(torch.cat(cols), nrow=len(cols[0]) * a.pairs_per_row).convert("RGB")
    if out.suffix.lower() in (".jpg", ".jpeg"):
        strip.save(out, quality=88, optimize=True)
    elif a.colors:
        strip.quantize(a.colors, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    else:
        strip.save(out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
