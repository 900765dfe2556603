"""Try to fool `--metric domain`: score known cases on a real unpaired data set and print each check's rate.

    python bench/domain_cases.py --root ../shared/data --data horse2zebra [--bundle checkpoints/horse2zebra]

Cases (translations of the source domain's test photos, unless noted):
  identity          the input itself                                      -> must NOT count as translated
  stripes           a black-and-white stripe texture over the whole frame  -> must NOT
  grey, blue        the photo turned grey, or tinted blue                  -> must NOT
  blur              the photo blurred (Gaussian, sigma 2 px at 256)        -> must NOT
  colours           its luminance with the colours (YCbCr chroma) of a real target photo: a zebra keeps its
                    stripes on brown-and-green, a horse gets black-and-white-and-savanna -> must NOT
  real target       real target test photos (outputs = inputs; the realism reference is then the held-out
                    photos alone)                                          -> must count, near the judge's rate
  real target, soft / faded   the same photos brought down to 128 px and back up (the softness of a
                    translator that works at its 128 px training scale), or at half their contrast: judged by
                    the two judges only (no input to have moved from)      -> near the real target's rates
  bundle            a bundled translator (--bundle), at --size, working at --scale (translate convert's)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path

import torch

from translate.metrics import domain


def stripes(x: torch.Tensor, period: int = 10) -> torch.Tensor:
    """A zebra-like stripe texture multiplied over the whole frame (the picture shows through its white)."""
    h, w = x.shape[-2:]
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    wave = torch.sin((xx + 0.6 * yy + 6 * torch.sin(yy / 17.0)) * 2 * math.pi / period)
    mask = (wave > 0).float()[None, None]
    gray = x.mean(1, keepdim=True).add(1).mul(0.5)
    return (gray * mask * 2 - 1).expand_as(x).clone()


def grey(x):
    return x.mean(1, keepdim=True).expand_as(x).clone()


def blue(x):
    gain, offset = torch.tensor([0.6, 0.8, 1.0]).view(1, 3, 1, 1), torch.tensor([-0.2, 0.0, 0.25]).view(1, 3, 1, 1)
    return (x * gain + offset).clamp(-1, 1)


def blur(x, sigma: float = 2.0):
    """A Gaussian-blurred copy: stripes and texture smoothed away, the layout kept."""
    import torchvision.transforms.functional as TF

    return TF.gaussian_blur(x, kernel_size=2 * round(3 * sigma) + 1, sigma=sigma)


def soft(x, side: int = 128):
    """Down to side x side and back (bilinear, antialiased): the detail a translator at that work scale loses."""
    import torch.nn.functional as F

    small = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
    return F.interpolate(small, size=x.shape[-2:], mode="bilinear", align_corners=False)


def faded(x, factor: float = 0.5):
    """Contrast lowered towards each image's mean grey level."""
    mean = x.mean((1, 2, 3), keepdim=True)
    return ((x - mean) * factor + mean).clamp(-1, 1)


def colours_of(x: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """x's luminance with palette's chroma (YCbCr), images of equal size in [-1, 1]: the colours of another
    photo, not a global mapping of x's own (so the `local` check passes), the shapes and texture of x."""
    import kornia

    y = kornia.color.rgb_to_ycbcr(x.add(1).mul(0.5))
    c = kornia.color.rgb_to_ycbcr(palette.add(1).mul(0.5))
    return kornia.color.ycbcr_to_rgb(torch.cat([y[:, :1], c[:, 1:]], 1)).clamp(0, 1).mul(2).sub(1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default="datasets")
    p.add_argument("--data", default="horse2zebra")
    p.add_argument("--direction", default="AtoB")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--bundle")
    p.add_argument("--scale", default="auto", help="the bundle's work scale: auto, train, native or a side in px")
    p.add_argument("--json")
    p.add_argument("--recipe", default="{}", help='judge recipe overrides as JSON, e.g. \'{"epochs": 80}\'')
    p.add_argument("--five-checks", action="store_true", help="leave out the texture judge (figures made before it)")
    a = p.parse_args()
    root = Path(a.root) / a.data
    t0 = time.time()
    recipe = dataclasses.replace(domain.DEFAULT_RECIPE, **json.loads(a.recipe))
    judge = domain.domain_judge(root, recipe)
    texture, texture_validation = (None, 0.0) if a.five_checks else domain.texture_judge(root)
    gates = texture is not None and texture_validation >= domain.TEXTURE_MIN_ACCURACY
    print(f"judges ready in {time.time() - t0:.0f} s ({'trained now' if judge.trained_now else 'cached'}); "
          f"texture check {'applied' if gates else 'left out'}")
    texture = texture if gates else None
    test_a, test_b = domain.split_folders(root, "test")
    src, tgt = (0, 1) if a.direction == "AtoB" else (1, 0)
    tests = [domain.photos(test_a), domain.photos(test_b)]
    x = domain.as_float(domain.load_square(tests[src], a.size))
    real_t = domain.as_float(domain.load_square(tests[tgt], a.size))
    held_t = domain.as_float(domain.held_out_photos(root, a.size)[tgt])
    reference = torch.cat([real_t, held_t])
    palette = real_t[torch.arange(len(x)) % len(real_t)]
    cases = {"identity": x, "stripes": stripes(x), "grey": grey(x), "blue": blue(x), "blur": blur(x),
             "colours": colours_of(x, palette)}
    if a.bundle:
        import translate

        tr = translate.load(a.bundle, direction=a.direction, device="cpu", scale=a.scale)
        cases["bundle"] = torch.cat([tr(x[i:i + 1]) for i in range(len(x))]).clamp(-1, 1)
    rows = {}
    for name, out in cases.items():
        v = domain.judge_verdict(judge, x, out, tgt, reference, real_t, texture)
        rows[name] = {k: v[k] and round(v[k], 3)
                      for k in ("translated_rate", "target_rate", "texture_rate", "moved_rate", "content_rate",
                                "local_rate", "sharp_rate", "local_change", "realistic_rate", "edge_ssim",
                                "content_threshold", "judge_kid_closed")}
    v = domain.judge_verdict(judge, real_t, real_t, tgt, held_t, x, texture)
    rows["real target"] = {k: v[k] and round(v[k], 3)  # no input to move from
                           for k in ("target_rate", "texture_rate", "realistic_rate")}
    for name, fn in (("soft", soft), ("faded", faded)):
        v = domain.judge_verdict(judge, real_t, fn(real_t), tgt, held_t, x, texture)
        rows[f"real target, {name}"] = {k: v[k] and round(v[k], 3) for k in ("target_rate", "texture_rate")}
    print(f"{a.data} {a.direction} at {a.size} px, scale {a.scale}; judge: {judge.path.name}")
    for name, r in rows.items():
        print(f"  {name:>12}: " + "  ".join(f"{k} {v}" for k, v in r.items()))
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
