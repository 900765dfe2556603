"""`translate eval`: draw samples from a checkpoint and score them with one metric.

Glue only: the maths lives in translate/metrics/. Every function returns a JSON-able dict.
"""

from __future__ import annotations

from pathlib import Path

import torch

from translate.config import DIRECTIONS, opposite
from translate.data.transforms import to_unit
from translate.errors import OptionError
from translate.inference import Sampler


def eval_modes(sampler: Sampler, data: str, n: int = 2500, seed: int = 0) -> dict:
    """VEEGAN/PacGAN protocol on a toy mixture: 2,500 samples by default."""
    from translate.data.datasets import ToyMixture
    from translate.metrics.modes import mode_stats
    from translate.registry import DATASETS

    toys = DATASETS.names(kind="points")
    if data not in toys:
        raise OptionError(f"`metric` modes needs a toy data set ({', '.join(toys)}), got {data!r}")
    if sampler.output != "points":
        raise OptionError("`metric` modes scores 2-D point models (translate train `model` gan `data` ring8)")
    mix = ToyMixture(data)
    return {"metric": "modes", "data": data, **mode_stats(sampler.sample(n, seed=seed), mix.centers, mix.sigma)}


def _mnist_unit(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(255).flatten(1)


def eval_parzen(sampler: Sampler, root: Path, n: int = 10000, valid: int = 1000, seed: int = 0) -> dict:
    """Goodfellow et al. 2014: sigma from logspace(-1, 0, 10) on `valid` held-out training digits
    (the ones `--data mnist` keeps out of training by default), log-likelihood on the 10k test split."""
    from translate.data.datasets import holdout_split
    from translate.data.folders import find_mnist, read_idx
    from translate.metrics.parzen import parzen_eval

    files = find_mnist(root)
    if files.images_test is None:
        raise OptionError(f"the Parzen estimate needs the MNIST test split (t10k-images-idx3-ubyte.gz) next to "
                         f"{files.images_train}")
    if sampler.sample_shape != (1, 28, 28):
        raise OptionError(f"the Parzen estimate compares 28x28 MNIST digits; this model makes "
                         f"{sampler.sample_shape} samples")
    train = torch.from_numpy(read_idx(files.images_train))
    test = torch.from_numpy(read_idx(files.images_test))
    samples = to_unit(sampler.sample(n, seed=seed)).flatten(1)
    _, held_out = holdout_split(len(train), valid)
    result = parzen_eval(samples, _mnist_unit(train[held_out]), _mnist_unit(test))
    return {"metric": "parzen", "test_file": str(files.images_test), "validation_file": str(files.images_train),
            "validation_digits": valid, **result}


def eval_inception(sampler: Sampler, metric: str, dcfg, inception: str | None, n: int = 5000,
                   seed: int = 0) -> dict:
    """FID or KID between `n` generated images and up to `n` real training images."""
    from translate.data.datasets import open_data
    from translate.data.loader import peek
    from translate.metrics import fid

    extractor = fid.InceptionFeatures(fid.inception_path(inception))
    if sampler.output != "images":
        raise OptionError(f"`metric` {metric} scores image models")
    source, _ = open_data(dcfg, "eval", ("images", "points"))
    reals = peek(source, n, seed)["x"]
    fake_f = fid.features(extractor, sampler.sample(n, seed=seed))
    real_f = fid.features(extractor, reals)
    out = {"metric": metric, "n_fake": len(fake_f), "n_real": len(real_f), "inception": "torchvision"}
    if metric == "fid":
        out["fid"] = fid.fid_from_features(real_f, fake_f)
    else:
        out["kid"], out["kid_std"] = fid.kernel_inception_distance(real_f, fake_f, seed=seed)
    return out


def _translator_checkpoint(checkpoint: str, data: str | None, root: Path, size: int, metric: str,
                           example: str) -> tuple[dict, dict, Path, int]:
    """(config, tensors, data folder, size) of an image-translator checkpoint for --metric domain/paired:
    the data and size default to what the checkpoint trained on."""
    from translate.data.download import resolve_dataset
    from translate.storage.catalog import resolve_checkpoint
    from translate.storage.checkpoint import load_checkpoint

    config, tensors = load_checkpoint(resolve_checkpoint(checkpoint))  # read once, for every direction
    if config.get("kind") != "translator":
        raise OptionError(f"`metric` {metric} scores image translators; {checkpoint} holds a "
                         f"{config.get('model')!r} model (try `metric` class, fid or kid)")
    data = data or config.get("train_data")
    if not data:
        raise OptionError(f"{checkpoint} does not record its training data: pass `data` (e.g. {example})")
    return config, tensors, resolve_dataset(data, root), size or int(config.get("train_size") or 256)


def _translated_as(translator) -> dict:
    """How the test photos were translated, for the report: the work side (0: native) and the grid removal."""
    return {"work_side": translator.work_side, "degrid": translator.lattice is not None}


def eval_domain(checkpoint: str, data: str | None, root: Path, direction: str, size: int, device: str,
                inception: Path | None, n: int = 0, options: dict | None = None) -> dict:
    """--metric domain: a judge trained on real trainA/trainB scores the translated test images (translated
    as `translate convert` does; `options` go to ImageTranslator: scale, degrid)."""
    from translate.inference import ImageTranslator
    from translate.metrics.domain import eval_domain as score

    # 256 px unless asked: the demo's size, and the scale the texture judge was trained at (a smaller side is
    # upsampled for it, which blurs what it looks for)
    config, tensors, folder, size = _translator_checkpoint(checkpoint, data, root, size or 256, "domain",
                                                           "horse2zebra")
    directions = DIRECTIONS if direction == "both" else (direction,)
    translators = {d: ImageTranslator(config, tensors, d, device, str(checkpoint), **(options or {}))
                   for d in directions}
    results = {d: {**score(translators[d].translate_tensor, folder, d, size, inception=inception, max_images=n),
                   **_translated_as(translators[d])} for d in directions}
    return results[direction] if direction != "both" else {"metric": "domain", **results}


def eval_grain(checkpoint: str, data: str | None, root: Path, direction: str, size: int, device: str,
               n: int = 0, options: dict | None = None) -> dict:
    """--metric grain: grid and colour speckle of the translated test photos beside real target photos'
    (translate/metrics/grain.py), translated as `translate convert` does (`options` as for eval_domain)."""
    from translate.inference import ImageTranslator
    from translate.metrics import domain, grain

    config, tensors, folder, size = _translator_checkpoint(checkpoint, data, root, size or 256, "grain",
                                                           "horse2zebra")
    test = dict(zip(DIRECTIONS, domain.split_folders(folder, "test")))
    results = {}
    for d in DIRECTIONS if direction == "both" else (direction,):
        paths = domain.photos(test[d])[:n or None]
        x = domain.as_float(domain.load_square(paths, size))
        translator = ImageTranslator(config, tensors, d, device, str(checkpoint), **(options or {}))
        fakes = torch.cat([translator.translate_tensor(x[i:i + 1]).clamp(-1, 1) for i in range(len(x))])
        other = test[opposite(d)]
        real = domain.as_float(domain.load_square(domain.photos(other), size))
        per_image = grain.grid_db(fakes)
        results[d] = {"metric": "grain", "data": folder.name, "direction": d, "size": size, "n_images": len(x),
                      **grain.compare(fakes, real), **_translated_as(translator),
                      "most_grid": {paths[int(i)].name: round(float(per_image[i]), 1)
                                    for i in per_image.argsort(descending=True)[:3]}}
    return results[direction] if direction != "both" else {"metric": "grain", **results}


def eval_paired(checkpoint: str, data: str | None, root: Path, direction: str, size: int, device: str,
                n: int = 0) -> dict:
    """--metric paired: outputs against the ground truth of paired test data (MAE, PSNR, SSIM)."""
    from translate.inference import ImageTranslator
    from translate.metrics.paired import eval_paired as score

    config, tensors, folder, size = _translator_checkpoint(checkpoint, data, root, size, "paired", "facades")
    # which half of each pair is the input: as in training (facades labels -> photo is BtoA) unless given
    direction = direction if direction != "both" else config.get("train_direction", "AtoB")
    translator = ImageTranslator(config, tensors, "AtoB", device, str(checkpoint))
    return score(translator.translate_tensor, folder, direction == "BtoA", size, n)


def _class_judge(data: str, root: Path, size: int, channels: int, recipe=None):
    """(judge, (real test images, labels) or None) for MNIST, scikit-learn's digits, or a folder of class
    sub-folders; the judge is trained on the training split only."""
    import hashlib

    from translate.data import folders
    from translate.data.datasets import _resize_uint8, load_digits
    from translate.metrics.classifier import Recipe, cached_judge, file_digest

    # samples smaller than MNIST's 28 px are judged upsampled: two stride-2 blocks make too weak a judge
    recipe = recipe or Recipe(size=max(size, 28), width=32, extra_convs=0, epochs=10, lr=1e-3, flip=False,
                              crop_scale=0.8)
    size = recipe.size
    digit_names = [str(i) for i in range(10)]
    if data == "mnist" or Path(data).name == "mnist":
        files = folders.find_mnist(root)

        def idx_pair(images: Path, labels: Path):
            x = torch.from_numpy(folders.read_idx(images)).unsqueeze(1)
            return _resize_uint8(x, size), torch.from_numpy(folders.read_idx(labels)).long()

        src = [files.images_train, files.labels_train]
        judge = cached_judge("class-mnist", recipe, digit_names, file_digest(src, src[0].parent), 1,
                             lambda: idx_pair(*src))
        has_test = files.images_test is not None and files.labels_test is not None
        return judge, idx_pair(files.images_test, files.labels_test) if has_test else None
    if data == "digits":  # scikit-learn's 8x8 digits: the first 80% train the judge, the rest test it
        d, _ = load_digits(size)
        cut = len(d) * 4 // 5
        digest = hashlib.sha256(d.images.numpy().tobytes() + d.labels.numpy().tobytes()).hexdigest()
        judge = cached_judge("class-digits", recipe, digit_names, digest, 1,
                             lambda: (d.images[:cut], d.labels[:cut]))
        return judge, (d.images[cut:], d.labels[cut:])
    folder = Path(data) if Path(data).is_dir() else root / data
    if not folder.is_dir():
        raise OptionError(f"`metric` class judges MNIST digits (`data` mnist `root` DIR), scikit-learn's "
                         f"digits (`data` digits) or a folder of class sub-folders; {data!r} is none of them")
    paths, labels, classes = folders.list_images(folder, labeled=True)

    def training_data():
        from translate.metrics.domain import load_square

        return load_square(paths, size, channels), torch.tensor(labels)

    return cached_judge(f"class-{folder.name}", recipe, classes, file_digest(paths, folder), channels,
                        training_data), None


def eval_class(sampler: Sampler, data: str, root: Path, n_per_class: int = 100, seed: int = 0,
               recipe=None) -> dict:
    """--metric class: share of conditional samples that a judge trained on the real training images
    assigns to the class they were asked for (its accuracy on the real test split reported first)."""
    if not sampler.conditional:
        raise OptionError("`metric` class scores class-conditional models (translate train `model` cgan)")
    channels, size = sampler.sample_shape[0], sampler.sample_shape[-1]
    judge, test = _class_judge(data, root, size, channels, recipe)
    if judge.classes != list(sampler.class_names):
        raise OptionError(f"the model's classes {list(sampler.class_names)} differ from the data's {judge.classes}")
    k = len(judge.classes)
    wanted = torch.arange(k).repeat_interleave(n_per_class)
    samples = sampler.generate(sampler.noise(len(wanted), seed), wanted)
    pred = judge.probabilities(samples.float()).argmax(1)
    hits = (pred == wanted).double()
    res = {"metric": "class", "data": data, "judge": str(judge.path), "judge_trained_now": judge.trained_now,
           "judge_test_accuracy": judge.accuracy(*test) if test else None,
           "n_samples": len(wanted), "agreement": float(hits.mean()),
           "worst_class": judge.classes[int(hits.view(k, -1).mean(1).argmin())],
           "per_class": {c: float(v) for c, v in zip(judge.classes, hits.view(k, -1).mean(1))}}
    return res
