"""Did the translation reach the other domain, and is it still the same picture? (`translate eval --metric domain`)

A judge's "this looks like the target domain" alone flatters: a small CNN trained on a few hundred photos
calls a horse covered in stripe texture a zebra, a grey summer photo winter, a grainy darkened horse a zebra,
a zebra that keeps its stripes on green grass a horse, and some real source photos target photos already. So
an output counts as translated only when six checks agree (the per-image `translated` verdict):

1. target: the judge (a small CNN, translate/metrics/classifier.py) assigns it to the target domain. The judge
   is trained on the real train photos minus a fixed 15% held out to validate it; its accuracy on the
   held-out photos and on the real test photos of both domains is reported beside every figure.
2. moved: the translation is what convinced the judge: its target probability rose by at least MOVED_MARGIN
   from the input's. The identity, and a source photo the judge misjudges anyway, do not count.
3. content: the Sobel edge maps of input and output agree (SSIM) more than those of 95% of unrelated pairs
   (each input beside another test photo): the output is still that picture. Texture pasted over the whole
   frame fails here.
4. local: at least LOCAL_CHANGE of the output is not explained by any global colour mapping of the input
   (`recolouring_residual`): a photo merely turned grey, tinted or re-toned is no translation, whatever the
   judge thinks of its colours. (A colour-augmented judge would blind the season judge to real winter
   translations, whose difference is colour; docs/evaluation.md.)
5. sharp: the output keeps fine detail: its finest band (grayscale minus its 1 px Gaussian blur) carries at
   least as much energy as that of the softest 5% of real target photos (`fine_detail`). A blurred zebra
   photo has lost its stripes' edges and some judges call it a horse; it is no translation.
6. texture: a second judge, which sees luminance only, at the photo's own scale (96 px crops of the 256 px
   photo, averaged over a 3x3 grid; TEXTURE_RECIPE), also assigns it to the target domain. The first judge
   sees the whole photo squashed to 96 px, where a zebra's stripes fall below its resolution and the colour of
   the grass decides; this one cannot see colour and sees the stripes at their width, so stripes left on a
   "horse" do not pass it (artefacts can still fool it: the grain of a young CycleGAN's horses passes for
   stripes; docs/evaluation.md, "Limits"). Its average over the views must say target,
   and no single view may look more like the source domain than the most source-like view of 95% of real
   target photos (RESIDUE_QUANTILE): a zebra whose background turned to scribbles but who keeps her stripes
   is no horse. It gates only where it tells the domains apart on its held-out photos (TEXTURE_MIN_ACCURACY;
   not on seasons, whose difference is colour).

`translated_rate` is the share of outputs passing all six; `relative_rate` divides it by the share of real
target test photos that pass the two judges' checks (1 and 6) as a translation must (a winter photo without
snow is not called winter either). Reported beside it:
each check's rate; `realistic_rate`, the share inside the manifold of real target photos in the judge's
features (improved precision, Kynkaanniemi et al. 2019); the judge's KID between translated and real target
photos (`judge_kid_closed`: 0 for the identity, about 1 for outputs distributed like real target photos); the
least translated images. docs/evaluation.md has the protocol and the measured cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from translate.config import Direction
from translate.data import folders
from translate.errors import DataError
from translate.metrics.classifier import Judge, Recipe, cached_judge, file_digest
from translate.metrics.fid import kernel_inception_distance
from translate.metrics.grain import compare as grain_compare

DEFAULT_RECIPE = Recipe()
# Brightness/contrast jitter, so that tone cannot decide; blur (sigma up to 2 px at 256) and contrast lowered by
# up to 70% on half the photos of both classes, so that softness cannot either: trained on crisp photos only, it
# called 95% of real zebras horses after a 128 px round trip (the detail a translator at its training scale
# gives) and 73% at half contrast (docs/evaluation.md, "The texture judge's training").
TEXTURE_RECIPE = Recipe(gray=True, native=256, color=1.0, blur=2.0, contrast=0.7)
# The texture judge gates only where it can tell the domains apart on its held-out photos (horse2zebra: 87%);
# where colour is the change it cannot (summer2winter: 50%, apple2orange: 68%), and the sixth check is left out.
TEXTURE_MIN_ACCURACY = 0.75
HOLDOUT = 0.15  # share of each domain's training photos kept out of the judge's training, to validate it
RESIDUE_QUANTILE = 0.95  # no view may show more of the source domain than this share of real target photos do
REALISM_K = 3
MOVED_MARGIN = 0.2  # least rise of the judge's target probability from input to output
LOCAL_CHANGE = 0.08  # least share of an output that no global colour mapping of its input explains
CONTENT_QUANTILE = 0.95
SHARP_QUANTILE = 0.05  # an output must keep the fine detail of all but the softest 5% of real target photos

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


def photos(folder: Path) -> list[Path]:
    return folders.list_images(folder, labeled=False)[0]


def judge_split(paths: list[Path], holdout: float = HOLDOUT) -> tuple[list[Path], list[Path]]:
    """(training, held-out) photos of one domain: a fixed-seed choice, the same on every machine."""
    order = torch.randperm(len(paths), generator=torch.Generator().manual_seed(0)).tolist()
    n_out = round(len(paths) * holdout)
    held = sorted(order[:n_out])
    return [p for i, p in enumerate(paths) if i not in set(held)], [paths[i] for i in held]


def domain_judge(root: Path, recipe: Recipe = DEFAULT_RECIPE) -> Judge:
    """The judge of this data set's two domains, trained on trainA/trainB minus the held-out photos (cached
    by the content of the photos it trains on)."""
    train_a, train_b = split_folders(root, "train")
    pa, pb = judge_split(photos(train_a))[0], judge_split(photos(train_b))[0]
    side = recipe.native or recipe.size

    def training_data():
        images = torch.cat([load_square(pa, side), load_square(pb, side)])
        return images, torch.tensor([0] * len(pa) + [1] * len(pb))

    kind = "texture" if recipe.native or recipe.gray else "domain"
    return cached_judge(f"{kind}-{root.name}", recipe, list(domain_names(root)), file_digest(pa + pb, root), 3,
                        training_data)


def held_out_photos(root: Path, size: int) -> dict[int, Tensor]:
    """uint8 held-out train photos of each domain (0: A, 1: B), squashed to size x size."""
    train_a, train_b = split_folders(root, "train")
    return {k: load_square(judge_split(photos(folder))[1], size) for k, folder in enumerate((train_a, train_b))}


def validation_accuracy(judge: Judge, held: dict[int, Tensor]) -> float:
    """Share of the held-out photos of both domains that the judge assigns to their own domain."""
    pred = {k: judge.probabilities(as_float(v)).argmax(1) for k, v in held.items()}
    return float(torch.cat([pred[0] == 0, pred[1] == 1]).double().mean())


def texture_judge(root: Path, recipe: Recipe = TEXTURE_RECIPE) -> tuple[Judge, float]:
    """The sixth check's judge and its accuracy on the held-out photos (at its own scale). It gates only if
    that is at least TEXTURE_MIN_ACCURACY: where the domains differ in colour alone, as seasons do, a
    luminance judge guesses, and a guess must not veto translations."""
    judge = domain_judge(root, recipe)
    return judge, validation_accuracy(judge, held_out_photos(root, recipe.native or recipe.size))


def recolouring_residual(inputs: Tensor, outputs: Tensor, side: int = 64) -> Tensor:
    """(N,) share of each output that no global colour mapping of its input explains: the least-squares fit of
    every output pixel as a quadratic function of the same input pixel's colour (over all pixels at side x
    side; quadratic, so tone curves are mappings too) leaves this relative RMS residual. About 0 for the
    identity and for a grey, tinted or re-toned copy; a translation that paints locally (snow on the ground,
    stripes on the animal) leaves a residual."""
    import torch.nn.functional as F

    x = F.interpolate(inputs.float(), size=(side, side), mode="area").flatten(2).transpose(1, 2)  # (N, P, C)
    y = F.interpolate(outputs.float(), size=(side, side), mode="area").flatten(2).transpose(1, 2)
    c = x.shape[2]
    pairs = [x[..., i:i + 1] * x[..., j:j + 1] for i in range(c) for j in range(i, c)]
    design = torch.cat([x, *pairs, torch.ones_like(x[..., :1])], 2).double()  # (N, P, terms)
    coef = torch.linalg.lstsq(design, y.double()).solution
    residual = (y.double() - design @ coef).pow(2).sum((1, 2))
    spread = (y.double() - y.double().mean(1, keepdim=True)).pow(2).sum((1, 2))
    return (residual / spread.clamp_min(1e-12)).sqrt().float()


def texture_verdict(texture: Judge, images: Tensor, target: int, residue_limit: float) -> tuple[Tensor, Tensor]:
    """Check 6 on float images (N, C, H, W): (the texture judge's target probability, averaged over its views;
    whether the images pass: that average says target and no view's source probability exceeds `residue_limit`)."""
    views = texture.view_probabilities(images)
    p_target = views[..., target].mean(1)
    return p_target, (p_target > 0.5) & (views[..., 1 - target].amax(1) <= residue_limit)


def source_residue_limit(texture: Judge, real_target: Tensor, target: int) -> float:
    """The source probability of the most source-like view that RESIDUE_QUANTILE of `real_target` photos stay
    at or under (the background of a real zebra photo can look like a horse photo's; a kept stripe cannot)."""
    most_source_like = texture.view_probabilities(real_target)[..., 1 - target].amax(1)
    return float(torch.quantile(most_source_like, RESIDUE_QUANTILE))


def realistic(features: Tensor, reference: Tensor, k: int = REALISM_K) -> Tensor:
    """(N,) bool: each feature vector lies within the k-NN radius of some reference vector (improved precision,
    Kynkaanniemi et al. 2019): inside the manifold the reference samples cover."""
    radii = torch.cdist(reference, reference).kthvalue(k + 1, dim=1).values  # +1: each point is its own 0-NN
    return (torch.cdist(features, reference) <= radii[None]).any(1)


# --------------------------------------------------------------------------------------- content
def _gray(x: Tensor) -> Tensor:
    """(N, C, H, W) in [-1, 1] -> (N, 1, H, W) grayscale in [0, 1]."""
    import kornia

    unit = x.float().add(1).mul(0.5).clamp(0, 1)
    return kornia.color.rgb_to_grayscale(unit) if unit.shape[1] == 3 else unit


def edge_map(x: Tensor) -> Tensor:
    """(N, C, H, W) in [-1, 1] -> (N, 1, H, W) Sobel gradient magnitude of the grayscale image, in [0, 1]."""
    import kornia

    return kornia.filters.sobel(_gray(x)).clamp(0, 1)


def edge_ssim(a: Tensor, b: Tensor) -> Tensor:
    """Per-image SSIM (N,) between the edge maps of two batches of images of equal size."""
    import kornia

    return kornia.metrics.ssim(edge_map(a), edge_map(b), EDGE_WINDOW).flatten(1).mean(1)


def fine_detail(x: Tensor) -> Tensor:
    """(N,) mean absolute value of the finest band of each image's grayscale (in [0, 1] units): the image
    minus its Gaussian blur of sigma 1 px. Real 256 px photos: 0.009-0.04; blurred with sigma 2: ~0.003."""
    import kornia

    gray = _gray(x)
    smooth = kornia.filters.gaussian_blur2d(gray, (5, 5), (1.0, 1.0), border_type="reflect")
    return (gray - smooth).abs().flatten(1).mean(1)


# --------------------------------------------------------------------------------------- the metric
def eval_domain(translate: Callable[[Tensor], Tensor], root: Path, direction: Direction = "AtoB", size: int = 256,
                recipe: Recipe = DEFAULT_RECIPE, inception: Path | None = None, max_images: int = 0,
                texture_recipe: Recipe | None = TEXTURE_RECIPE) -> dict:
    """Score `translate` ((1, 3, size, size) in [-1, 1] -> the same) on the test images of `root`
    (`texture_recipe` None: without the sixth check, as figures made before it existed)."""
    judge = domain_judge(root, recipe)
    texture, texture_validation = texture_judge(root, texture_recipe) if texture_recipe else (None, 0.0)
    texture_gates = texture is not None and texture_validation >= TEXTURE_MIN_ACCURACY
    test_a, test_b = split_folders(root, "test")
    paths = {0: photos(test_a), 1: photos(test_b)}
    real = {k: load_square(v, size) for k, v in paths.items()}
    held_images = held_out_photos(root, size)
    src, tgt = (0, 1) if direction == "AtoB" else (1, 0)
    names = judge.classes
    src_paths = paths[src][:max_images] if max_images else paths[src]
    x = as_float(real[src][:len(src_paths)])
    fakes = torch.cat([translate(x[i:i + 1]).clamp(-1, 1) for i in range(len(x))])
    verdict = judge_verdict(judge, x, fakes, tgt, as_float(torch.cat([real[tgt], held_images[tgt]])),
                            as_float(real[tgt]), texture if texture_gates else None)
    res = {"metric": "domain", "data": root.name, "direction": direction,
           "source": names[src], "target": names[tgt], "size": size, "n_images": len(x),
           "texture_check": "applied" if texture_gates else
           ("left out: the texture judge does not tell these domains apart (held-out accuracy below "
            f"{TEXTURE_MIN_ACCURACY:.0%})" if texture else "left out (no texture recipe)")}
    real_pred = {}
    validation = {"judge": validation_accuracy(judge, held_images), "texture_judge": texture_validation}
    for prefix, j in (("judge", judge), ("texture_judge", texture)):
        if j is None:
            continue
        real_pred[prefix] = {k: j.probabilities(as_float(v)).argmax(1) for k, v in real.items()}
        right = real_pred[prefix]
        res.update({
            prefix: str(j.path), f"{prefix}_trained_now": j.trained_now,
            f"{prefix}_validation_accuracy": validation[prefix],
            f"{prefix}_accuracy_{names[0]}": float((right[0] == 0).double().mean()),
            f"{prefix}_accuracy_{names[1]}": float((right[1] == 1).double().mean()),
            f"{prefix}_accuracy": float(torch.cat([right[0] == 0, right[1] == 1]).double().mean())})
    real_on_target = real_pred["judge"][tgt] == tgt
    if texture_gates:  # both judges say target, and by the same texture check as a translation
        real_on_target &= texture_verdict(texture, as_float(real[tgt]), tgt, verdict["texture_residue_limit"])[1]
    real_target_rate = float(real_on_target.double().mean())
    worst = torch.argsort(verdict["p_target"])[:5]
    res.update({
        "real_target_rate": real_target_rate,
        "translated_rate": verdict["translated_rate"],
        "relative_rate": verdict["translated_rate"] / real_target_rate if real_target_rate > 0 else float("nan"),
        "target_rate": verdict["target_rate"], "texture_rate": verdict["texture_rate"],
        "texture_residue_limit": verdict["texture_residue_limit"],
        "moved_rate": verdict["moved_rate"],
        "local_rate": verdict["local_rate"], "local_change_median": verdict["local_change"],
        "realistic_rate": verdict["realistic_rate"],
        "content_rate": verdict["content_rate"], "sharp_rate": verdict["sharp_rate"],
        "source_rate_before": float((real_pred["judge"][src][:len(x)] == src).double().mean()),
        "edge_ssim": verdict["edge_ssim"], "edge_ssim_unrelated": verdict["edge_ssim_unrelated"],
        "content_threshold": verdict["content_threshold"],
        "judge_kid": verdict["judge_kid"], "judge_kid_untranslated": verdict["judge_kid_untranslated"],
        "judge_kid_closed": verdict["judge_kid_closed"],
        "least_translated": {src_paths[int(i)].name: round(float(verdict["p_target"][i]), 4) for i in worst},
    })
    res.update(_kid(fakes, as_float(real[tgt]), inception))
    res["grain"] = grain_compare(fakes, as_float(real[tgt]))  # the artefacts the judges cannot see
    return res


def judge_verdict(judge: Judge, inputs: Tensor, outputs: Tensor, target: int, reference: Tensor,
                  unrelated_pool: Tensor, texture: Judge | None = None) -> dict:
    """The six per-image checks of the module docstring for outputs (N, 3, S, S) of inputs (N, 3, S, S), all
    in [-1, 1]. `reference`: real target photos the judges did not train on (the realism manifold, and what the
    sharp and texture checks are calibrated on);
    `unrelated_pool`: other photos to pair each input with (the content threshold); `texture`: the texture
    judge (None: the sixth check is left out). `p_target`, by which the least translated are ranked, is the
    lower of the two judges' target probabilities."""
    p_target = judge.probabilities(outputs)[:, target]
    on_target = p_target > 0.5
    if texture is not None:
        residue_limit = source_residue_limit(texture, reference, target)
        p_texture, texture_ok = texture_verdict(texture, outputs, target, residue_limit)
    else:
        residue_limit = None
        p_texture, texture_ok = torch.ones_like(p_target), torch.ones_like(on_target)
    moved = p_target - judge.probabilities(inputs)[:, target] >= MOVED_MARGIN
    local = recolouring_residual(inputs, outputs)
    local_ok = local >= LOCAL_CHANGE
    ref_features = judge.features(reference)
    out_features = judge.features(outputs)
    real_ok = realistic(out_features, ref_features)
    ssim = edge_ssim(inputs, outputs)
    unrelated = unrelated_pool[torch.arange(len(inputs)) % len(unrelated_pool)]
    if len(unrelated_pool) == len(inputs):  # never pair an image with its own index-mate in a matched layout
        unrelated = unrelated.roll(1, 0)
    unrelated_ssim = edge_ssim(inputs, unrelated)
    threshold = float(torch.quantile(unrelated_ssim, CONTENT_QUANTILE))
    content_ok = ssim > threshold
    kid_out = kernel_inception_distance(ref_features, out_features)[0]
    kid_in = kernel_inception_distance(ref_features, judge.features(inputs))[0]
    sharp_ok = fine_detail(outputs) >= torch.quantile(fine_detail(reference), SHARP_QUANTILE)
    translated = on_target & moved & content_ok & local_ok & sharp_ok & texture_ok
    return {"p_target": torch.minimum(p_target, p_texture), "translated": translated,
            "translated_rate": float(translated.double().mean()), "target_rate": float(on_target.double().mean()),
            "texture_rate": float(texture_ok.double().mean()) if texture is not None else None,
            "texture_residue_limit": residue_limit,
            "moved_rate": float(moved.double().mean()), "local_rate": float(local_ok.double().mean()),
            "local_change": float(local.median()),
            "realistic_rate": float(real_ok.double().mean()), "content_rate": float(content_ok.double().mean()),
            "sharp_rate": float(sharp_ok.double().mean()),
            "edge_ssim": float(ssim.mean()), "edge_ssim_unrelated": float(unrelated_ssim.mean()),
            "content_threshold": threshold, "judge_kid": kid_out, "judge_kid_untranslated": kid_in,
            "judge_kid_closed": 1 - kid_out / kid_in if kid_in > 0 else float("nan")}


def as_float(images: Tensor) -> Tensor:
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
