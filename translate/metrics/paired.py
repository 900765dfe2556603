"""How close are the outputs to the ground truth, on paired test data (pix2pix facades, maps, ...)?

For every test pair (an A|B side-by-side image, or A/ and B/ files with matching names) the input half
is translated at `size` x `size` (squashed, as the official test.py does) and compared with the other
half: mean absolute error in 0-255 levels, PSNR and SSIM (kornia, 11x11 Gaussian window, on RGB in
[0, 1]). Each figure comes with its "unrelated" twin, the same score against the ground truth of
another test pair: a translator that only paints a plausible average image scores about the same on
both, one that follows its input scores clearly better on its own pair.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from translate.errors import DataError

SSIM_WINDOW = 11


def load_test_pairs(root: Path, size: int, swap: bool, phase: str = "test", max_images: int = 0):
    """(inputs, targets, names): float (N, C, size, size) in [-1, 1]; the first phase of test, val found."""
    from translate.data.pairs import AlignedImages, _find_aligned
    from translate.data.transforms import Preprocess

    phases = (phase,) if phase != "test" else ("test", "val")
    for ph in phases:
        if (root / ph).is_dir():
            phase = ph
            break
    else:
        raise DataError(f"{root}: `metric` paired needs a {' or '.join(phases)}/ folder of pairs (pix2pix "
                         f"layout: {root}/test/1.jpg with A|B side by side, or test/A/ and test/B/)")
    pairs = _find_aligned(root, phase)
    if max_images:
        pairs = pairs[:max_images]
    squash = Preprocess("resize_and_crop", size, size, flip=False, train=False)
    data = AlignedImages(pairs, squash, squash, swap=swap)
    items = [data[i] for i in range(len(data))]
    names = [Path(it["A_path"]).name for it in items]
    return torch.stack([it["A"] for it in items]), torch.stack([it["B"] for it in items]), names, phase


def scores(output: Tensor, target: Tensor) -> dict[str, Tensor]:
    """Per-image MAE (0-255 levels), PSNR (dB) and SSIM between two batches in [-1, 1]."""
    import kornia

    a, b = output.float().add(1).div(2).clamp(0, 1), target.float().add(1).div(2).clamp(0, 1)
    mse = (a - b).pow(2).flatten(1).mean(1)
    return {
        "mae": (a - b).abs().flatten(1).mean(1) * 255,
        "psnr": 10 * torch.log10(1 / mse.clamp_min(1e-10)),
        "ssim": kornia.metrics.ssim(a, b, SSIM_WINDOW).flatten(1).mean(1),
    }


def eval_paired(translate: Callable[[Tensor], Tensor], root: Path, swap: bool, size: int = 256,
                max_images: int = 0) -> dict:
    inputs, targets, names, phase = load_test_pairs(root, size, swap, max_images=max_images)
    if len(inputs) < 2:
        raise DataError(f"{root}/{phase}: `metric` paired needs at least 2 test pairs, found {len(inputs)}")
    with torch.no_grad():
        outputs = torch.cat([translate(inputs[i:i + 1]).clamp(-1, 1) for i in range(len(inputs))])
    own = scores(outputs, targets)
    unrelated = scores(outputs, targets.roll(1, 0))  # each output against another pair's ground truth
    worst = torch.argsort(own["ssim"])[:5]
    res = {"metric": "paired", "data": str(root), "split": phase, "direction": "BtoA" if swap else "AtoB",
           "size": size, "n_images": len(inputs)}
    for k in ("mae", "psnr", "ssim"):
        res[k] = float(own[k].mean())
        res[f"{k}_unrelated"] = float(unrelated[k].mean())
    res["lowest_ssim"] = {names[int(i)]: round(float(own["ssim"][i]), 4) for i in worst}
    return res
