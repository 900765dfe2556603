"""`translate eval`: draw samples from a checkpoint and score them with one metric.

Glue only: the maths lives in translate/metrics/. Every function returns a JSON-able dict.
"""

from __future__ import annotations

from pathlib import Path

import torch

from translate.data.transforms import to_unit
from translate.inference import Sampler


def eval_modes(sampler: Sampler, data: str, n: int = 2500, seed: int = 0) -> dict:
    """VEEGAN/PacGAN protocol on a toy mixture: 2,500 samples by default."""
    from translate.data.datasets import TOY_NAMES, ToyMixture
    from translate.metrics.modes import mode_stats

    if data not in TOY_NAMES:
        raise SystemExit(f"--metric modes needs a toy data set ({', '.join(TOY_NAMES)}), got {data!r}")
    if sampler.output != "points":
        raise SystemExit("--metric modes scores 2-D point models (translate train --model gan --data ring8)")
    mix = ToyMixture(data)
    return {"metric": "modes", "data": data, **mode_stats(sampler.sample(n, seed=seed), mix.centers, mix.sigma)}


def _mnist_unit(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(255).flatten(1)


def eval_parzen(sampler: Sampler, root: Path, n: int = 10000, valid: int = 1000, seed: int = 0) -> dict:
    """Goodfellow et al. 2014: sigma from logspace(-1, 0, 10) on the last `valid` training digits
    (which `--data mnist` keeps out of training by default), log-likelihood on the 10k test split."""
    from translate.data.folders import find_mnist, read_idx
    from translate.metrics.parzen import parzen_eval

    files = find_mnist(root)
    if files.images_test is None:
        raise SystemExit(f"the Parzen estimate needs the MNIST test split (t10k-images-idx3-ubyte.gz) next to "
                         f"{files.images_train}")
    if sampler.sample_shape != (1, 28, 28):
        raise SystemExit(f"the Parzen estimate compares 28x28 MNIST digits; this model makes "
                         f"{sampler.sample_shape} samples")
    train = torch.from_numpy(read_idx(files.images_train))
    test = torch.from_numpy(read_idx(files.images_test))
    samples = to_unit(sampler.sample(n, seed=seed)).flatten(1)
    result = parzen_eval(samples, _mnist_unit(train[-valid:]), _mnist_unit(test))
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
        raise SystemExit(f"--metric {metric} scores image models")
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
