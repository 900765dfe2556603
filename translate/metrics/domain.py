"""Did the translation reach the other domain, and did it keep the picture? (issue 6's quality metric)

1. A small CNN judge (translate/metrics/classifier.py) is trained on the real trainA/trainB images of an
   unpaired data set. Its accuracy on the real testA/testB images comes first, because the rest is read
   against it: when real winter photos are judged "winter" only 80% of the time (many show no snow), a
   translated summer photo cannot be asked to do better.
2. Every test image of the source domain is translated; `target_rate` is the share the judge assigns to
   the target domain and `relative_rate` = target_rate / (the judge's rate on real target test images).
3. Content: SSIM between the Sobel edge maps of the grayscale input and output. A translation that keeps
   the scene keeps its edges; `edge_ssim_unrelated` pairs each input with another data set image instead,
   the score of "a different picture".
4. Realism without Inception weights: KID in the judge's own feature space (its pooled last-conv
   features) between the translated and the real target test images, read against the same KID of the
   untranslated inputs. `judge_kid_closed` = 1 - KID(translated) / KID(inputs): 0 for the identity, about 1
   when the translations are distributed like real target images. It can read differently from the
   judge's decision: at step 4,400 of a 128 px horse2zebra run the judge called 96.7% of the grey,
   speckled fake zebras "zebra" (0.49 closed), and only 48% of the brown fake horses with faint stripe
   remnants "horse" (0.94 closed). Like every figure here, read it beside a strip of outputs.
5. KID (Inception-v3) between translated and real target test images when local Inception weights exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from translate.data import folders
from translate.errors import DataError
from translate.metrics.classifier import Judge, Recipe, cached_judge, file_digest
from translate.metrics.fid import kernel_inception_distance

DEFAULT_RECIPE = Recipe()

EDGE_WINDOW = 11


def domain_names(root: Path) -> tuple[str, str]:
    """('horse', 'zebra') for horse2zebra, ('summer', 'winter') for summer2winter_yosemite, else (A, B)."""
    m = re.fullmatch(r"([a-z]+)2([a-z]+)(_.*)?", root.name.lower())
    return (m.group(1), m.group(2)) if m else ("A", "B")


def split_folders(root: Path, phase: str) -> tuple[Path, Path]:
    a, b = root / f"{phase}A", root / f"{phase}B"
    if not (a.is_dir() and b.is_dir()):
        raise DataError(f"{root}: `metric` domain needs {phase}A/ and {phase}B/ folders (CycleGAN layout); "
                         f"point `data` at an unpaired data set such as horse2zebra")
    return a, b


def load_square(paths: list[Path], size: int, channels: int = 3) -> Tensor:
    """uint8 (N, C, size, size): each image squashed to a square, as the official test.py feeds its nets."""
    out = np.empty((len(paths), size, size, channels), np.uint8)
    for i, p in enumerate(paths):
        img = folders.load_image(p, channels).resize((size, size), Image.BICUBIC)
        out[i] = np.asarray(img).reshape(size, size, channels)
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()


def _images(folder: Path) -> list[Path]:
    return folders.list_images(folder, labeled=False)[0]


def domain_judge(root: Path, recipe: Recipe = DEFAULT_RECIPE) -> Judge:
    """The judge of this data set's two domains, trained on trainA/trainB (cached by their content)."""
    train_a, train_b = split_folders(root, "train")
    pa, pb = _images(train_a), _images(train_b)

    def training_data():
        images = torch.cat([load_square(pa, recipe.size), load_square(pb, recipe.size)])
        return images, torch.tensor([0] * len(pa) + [1] * len(pb))

    return cached_judge(f"domain-{root.name}", recipe, list(domain_names(root)), file_digest(pa + pb, root), 3,
                        training_data)


# --------------------------------------------------------------------------------------- content
def edge_map(x: Tensor) -> Tensor:
    """(N, C, H, W) in [-1, 1] -> (N, 1, H, W) Sobel gradient magnitude of the grayscale image, in [0, 1]."""
    import kornia

    unit = x.float().add(1).mul(0.5).clamp(0, 1)
    gray = kornia.color.rgb_to_grayscale(unit) if unit.shape[1] == 3 else unit
    return kornia.filters.sobel(gray).clamp(0, 1)


def edge_ssim(a: Tensor, b: Tensor) -> Tensor:
    """Per-image SSIM (N,) between the edge maps of two batches of images of equal size."""
    import kornia

    return kornia.metrics.ssim(edge_map(a), edge_map(b), EDGE_WINDOW).flatten(1).mean(1)


# --------------------------------------------------------------------------------------- the metric
def eval_domain(translate: Callable[[Tensor], Tensor], root: Path, direction: str = "AtoB", size: int = 256,
                recipe: Recipe = DEFAULT_RECIPE, inception: Path | None = None, max_images: int = 0) -> dict:
    """Score `translate` ((1, 3, size, size) in [-1, 1] -> the same) on the test images of `root`."""
    judge = domain_judge(root, recipe)
    test_a, test_b = split_folders(root, "test")
    paths = {0: _images(test_a), 1: _images(test_b)}
    real = {k: load_square(v, size) for k, v in paths.items()}
    src, tgt = (0, 1) if direction == "AtoB" else (1, 0)
    names = judge.classes
    src_paths = paths[src][:max_images] if max_images else paths[src]
    inputs = real[src][:len(src_paths)]

    fakes = torch.cat([translate(_float(inputs[i:i + 1])).clamp(-1, 1) for i in range(len(inputs))])
    p_target = judge.probabilities(fakes)[:, tgt]
    target_rate = float((p_target > 0.5).double().mean())
    # the judge's verdict on every real test image, once: its accuracies below all come from these
    real_pred = {k: judge.probabilities(_float(v)).argmax(1) for k, v in real.items()}
    real_target_rate = float((real_pred[tgt] == tgt).double().mean())
    x = _float(inputs)
    unrelated = _float(real[tgt][torch.arange(len(x)) % len(real[tgt])])
    if len(real[tgt]) == len(x):  # never pair an image with its own index-mate in a matched layout
        unrelated = unrelated.roll(1, 0)
    real_tgt_features = judge.features(_float(real[tgt]))
    kid_translated = kernel_inception_distance(real_tgt_features, judge.features(fakes))[0]
    kid_inputs = kernel_inception_distance(real_tgt_features, judge.features(x))[0]
    worst = torch.argsort(p_target)[:5]
    res = {
        "metric": "domain", "data": str(root), "direction": direction,
        "source": names[src], "target": names[tgt], "size": size, "n_images": len(x),
        "judge": str(judge.path), "judge_trained_now": judge.trained_now,
        f"judge_accuracy_{names[0]}": float((real_pred[0] == 0).double().mean()),
        f"judge_accuracy_{names[1]}": float((real_pred[1] == 1).double().mean()),
        "judge_accuracy": float(torch.cat([real_pred[0] == 0, real_pred[1] == 1]).double().mean()),
        "real_target_rate": real_target_rate,
        "target_rate": target_rate,
        "relative_rate": target_rate / real_target_rate if real_target_rate > 0 else float("nan"),
        "source_rate_before": float((real_pred[src][:len(x)] == src).double().mean()),
        "edge_ssim": float(edge_ssim(x, fakes).mean()),
        "edge_ssim_unrelated": float(edge_ssim(x, unrelated).mean()),
        "judge_kid": kid_translated,
        "judge_kid_untranslated": kid_inputs,
        "judge_kid_closed": 1 - kid_translated / kid_inputs if kid_inputs > 0 else float("nan"),
        "least_translated": {src_paths[int(i)].name: round(float(p_target[i]), 4) for i in worst},
    }
    res.update(_kid(fakes, _float(real[tgt]), inception))
    return res


def _float(images: Tensor) -> Tensor:
    from translate.data.transforms import to_tensor

    return to_tensor(images)


def _kid(fakes: Tensor, reals: Tensor, inception: Path | None) -> dict:
    """KID between translated and real target images, or why it was left out."""
    from translate.metrics import fid

    if inception is None:
        return {"kid": None, "kid_note": f"no Inception-v3 weights on disk (pass --inception FILE or set "
                                         f"{fid.INCEPTION_ENV}); KID left out"}
    extractor = fid.InceptionFeatures(inception)
    kid, kid_std = fid.kernel_inception_distance(fid.features(extractor, reals), fid.features(extractor, fakes))
    return {"kid": kid, "kid_std": kid_std}
