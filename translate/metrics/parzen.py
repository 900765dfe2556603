"""Gaussian Parzen-window log-likelihood (Goodfellow et al. 2014, section 5; Breuleux et al. 2011).

Fit an isotropic Gaussian at every generated sample, pick sigma by the mean log-likelihood of a
held-out validation set, and report the mean log-likelihood of the test set with its standard error.
Images are flattened and scaled to [0, 1], as in the paper. Computed in blocks so memory stays bounded.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def parzen_log_likelihood(samples: Tensor, x: Tensor, sigma, block: int = 1000) -> Tensor:
    """log p(x_i) = logsumexp_j(-||x_i - s_j||^2 / (2 sigma^2)) - log S - (D/2) log(2 pi sigma^2).

    samples (S, D), x (N, D) -> (N,) float64, or (len(sigma), N) when `sigma` is a list: the distance
    matrix is computed once per block of x and reused for every sigma. Distances use
    ||x||^2 - 2 x.s + ||s||^2 in float64.
    """
    sigmas = [float(sigma)] if isinstance(sigma, (int, float)) else [float(s) for s in sigma]
    samples, x = samples.double(), x.double()
    s_norm = samples.pow(2).sum(1)
    d = samples.shape[1]
    out = []
    for i in range(0, len(x), block):
        xb = x[i:i + block]
        sq = (xb.pow(2).sum(1, keepdim=True) - 2 * xb @ samples.T + s_norm).clamp_min(0)
        log_norm = [math.log(len(samples)) + 0.5 * d * math.log(2 * math.pi * s ** 2) for s in sigmas]
        out.append(torch.stack([torch.logsumexp(sq / (-2 * s ** 2), dim=1) - c for s, c in zip(sigmas, log_norm)]))
    ll = torch.cat(out, dim=1)
    return ll[0] if isinstance(sigma, (int, float)) else ll


def select_sigma(samples: Tensor, valid: Tensor, sigmas) -> tuple[float, dict[float, float]]:
    sigmas = [float(s) for s in sigmas]
    means = parzen_log_likelihood(samples, valid, sigmas).mean(1).tolist()
    scores = dict(zip(sigmas, means))
    return max(scores, key=scores.get), scores


def parzen_eval(samples: Tensor, valid: Tensor, test: Tensor, sigmas=None) -> dict:
    """samples, valid, test: (N, D) in [0, 1]. sigma from logspace(-1, 0, 10) by default."""
    sigmas = torch.logspace(-1, 0, 10).tolist() if sigmas is None else sigmas
    sigma, scores = select_sigma(samples, valid, sigmas)
    ll = parzen_log_likelihood(samples, test, sigma)
    return {"log_likelihood": float(ll.mean()), "standard_error": float(ll.std() / math.sqrt(len(ll))),
            "sigma": sigma, "validation": scores, "n_samples": len(samples), "n_test": len(test)}
