"""FID (Heusel et al. 2017) and KID (Binkowski et al. 2018) on Inception-v3 pool features.

The Inception weights are never downloaded at run time: pass a local file (`--inception FILE` or the
TRANSLATE_INCEPTION environment variable) holding torchvision's `inception_v3` state dict
(IMAGENET1K_V1, .pth read with weights_only=True, or .safetensors). Scores from these weights are
self-consistent but not numerically equal to the TensorFlow-Inception FID that papers report.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from translate.errors import DataError

INCEPTION_ENV = "TRANSLATE_INCEPTION"


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)).

    Tr((S1 S2)^(1/2)) is the sum of square roots of the eigenvalues of S1^(1/2) S2 S1^(1/2), which is
    symmetric PSD, so a symmetric eigensolver in float64 suffices (no complex sqrtm)."""
    mu1, mu2, s1, s2 = (t.double() for t in (mu1, mu2, sigma1, sigma2))
    w1, v1 = torch.linalg.eigh(s1)
    sqrt_s1 = (v1 * w1.clamp_min(0).sqrt()) @ v1.T
    m = sqrt_s1 @ s2 @ sqrt_s1
    tr_covmean = torch.linalg.eigvalsh((m + m.T) / 2).clamp_min(0).sqrt().sum()
    return float((mu1 - mu2).pow(2).sum() + torch.trace(s1) + torch.trace(s2) - 2 * tr_covmean)


def feature_stats(f: Tensor) -> tuple[Tensor, Tensor]:
    f = f.double()
    return f.mean(0), torch.cov(f.T)


def fid_from_features(real: Tensor, fake: Tensor) -> float:
    return frechet_distance(*feature_stats(real), *feature_stats(fake))


def kernel_inception_distance(real: Tensor, fake: Tensor, subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0) -> tuple[float, float]:
    """Unbiased MMD^2 with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over random
    subsets; returns (mean, std over subsets)."""
    real, fake = real.double(), fake.double()
    d = real.shape[1]
    m = min(subset_size, len(real), len(fake))
    g = torch.Generator().manual_seed(seed)
    vals = []
    for _ in range(subsets):
        x = real[torch.randperm(len(real), generator=g)[:m]]
        y = fake[torch.randperm(len(fake), generator=g)[:m]]
        kxx, kyy, kxy = ((a @ b.T / d + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        off = (kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        vals.append(float(off - 2 * kxy.mean()))
    t = torch.tensor(vals)
    return float(t.mean()), float(t.std()) if len(vals) > 1 else 0.0


def inception_path(flag: str | None) -> Path:
    path = flag or os.environ.get(INCEPTION_ENV)
    if not path:
        raise DataError(f"FID/KID need Inception-v3 weights on disk, and none were given: save torchvision's "
                         f"inception_v3 IMAGENET1K_V1 weights (inception_v3_google-0cc3c7bd.pth) and pass "
                         f"`inception` FILE or set {INCEPTION_ENV}")
    if not Path(path).is_file():
        raise DataError(f"Inception weights {path} do not exist (from `inception` or {INCEPTION_ENV})")
    return Path(path)


class InceptionFeatures(torch.nn.Module):
    """images (N, C, H, W) in [-1, 1] -> (N, 2048) pool3 features. Grayscale is repeated to RGB and
    every image is resized to 299x299 bilinearly."""

    def __init__(self, weights: Path):
        super().__init__()
        from torchvision.models import inception_v3

        net = inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=False)
        if weights.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(weights))
        else:
            sd = torch.load(weights, map_location="cpu", weights_only=True)
        try:
            net.load_state_dict(sd)
        except RuntimeError as e:
            raise DataError(f"{weights} is not a torchvision inception_v3 state dict ({str(e)[:200]})") from None
        net.fc = torch.nn.Identity()
        self.net = net.eval().requires_grad_(False)

    @torch.inference_mode()
    def forward(self, x: Tensor) -> Tensor:
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        # torchvision's Google weights expect (x - 0.5) / 0.5 per channel, i.e. our [-1, 1] pixels.
        x = F.interpolate(x.float(), size=(299, 299), mode="bilinear", align_corners=False)
        return self.net(x)


def features(extractor: InceptionFeatures, images: Tensor, batch_size: int = 50) -> Tensor:
    dev = next(extractor.parameters()).device
    return torch.cat([extractor(images[i:i + batch_size].to(dev)).double().cpu()
                      for i in range(0, len(images), batch_size)])
