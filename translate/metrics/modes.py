"""Mode coverage on 2-D Gaussian mixtures (the VEEGAN / PacGAN protocol).

Each sample is assigned to its nearest mode. It is "high quality" when within 3 sigma of that mode;
a mode is captured when at least one high-quality sample lands on it. Reverse KL is KL(q || p) between
the histogram q of nearest-mode assignments and the uniform mixture weights p.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def mode_stats(samples: Tensor, centers: Tensor, sigma: float) -> dict:
    samples, centers = samples.double(), centers.double()
    dist = torch.cdist(samples, centers)
    nearest_dist, nearest = dist.min(1)
    hq = nearest_dist <= 3 * sigma
    k = len(centers)
    hq_counts = torch.bincount(nearest[hq], minlength=k)
    q = torch.bincount(nearest, minlength=k).double() / len(samples)
    nz = q > 0
    reverse_kl = float((q[nz] * (q[nz] * k).log()).sum())
    return {
        "modes": int((hq_counts > 0).sum()),
        "n_modes": k,
        "high_quality": float(hq.double().mean()),
        "reverse_kl": reverse_kl,
        "min_hq_per_mode": int(hq_counts.min()),
        "n_samples": len(samples),
    }


def mean_and_se(values: list[float]) -> tuple[float, float]:
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, 0.0
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    return m, math.sqrt(var / n)
