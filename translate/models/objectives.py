"""Adversarial objectives and gradient penalties.

Every objective works on raw discriminator outputs ("logits"), never on probabilities, so that
log D and log(1 - D) are computed as softplus terms and cannot overflow or hit log(0):

    log D(x)      = log sigmoid(l)     = -softplus(-l)
    log(1 - D(x)) = log sigmoid(-l)    = -softplus(l)

Each objective returns quantities to *minimise*. The discriminator loss comes as named terms
(summed by the model) so the run log can show the real and fake halves apart.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from translate.registry import OBJECTIVES


class Objective:
    """d_terms(real_logits, fake_logits) -> {name: scalar}; g_loss(fake_logits) -> scalar."""

    name = ""
    # Weight of the WGAN-GP penalty this objective needs (0: none). Gulrajani et al. 2017 use 10.
    default_gp_weight = 0.0

    def d_terms(self, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def g_loss(self, fake: Tensor) -> Tensor:
        raise NotImplementedError


class Minimax(Objective):
    """The saturating game of Goodfellow et al. 2014 (Algorithm 1).

    D ascends log D(x) + log(1 - D(G(z))); G descends log(1 - D(G(z))). When D confidently rejects
    fakes (D(G(z)) -> 0) the generator's gradient vanishes: d/dl log(1 - sigmoid(l)) = -sigmoid(l) -> 0.
    """

    name = "minimax"

    def d_terms(self, real, fake):
        return {"d_real": F.softplus(-real).mean(), "d_fake": F.softplus(fake).mean()}

    def g_loss(self, fake):
        return -F.softplus(fake).mean()  # = mean log(1 - D(G(z)))


class NonSaturating(Minimax):
    """Goodfellow et al. 2014, section 3: G ascends log D(G(z)) instead; same fixed point, strong early
    gradients (d/dl -log sigmoid(l) = sigmoid(l) - 1 -> -1 as D(G(z)) -> 0). Also the "vanilla" GAN loss
    of pix2pix/CycleGAN (BCE-with-logits against the real label)."""

    name = "nonsaturating"

    def g_loss(self, fake):
        return F.softplus(-fake).mean()  # = -mean log D(G(z))


class LeastSquares(Objective):
    """Mao et al. 2017 with labels a=0 (fake), b=1 (real), c=1; the MSE form used by CycleGAN."""

    name = "lsgan"

    def d_terms(self, real, fake):
        return {"d_real": (real - 1).pow(2).mean(), "d_fake": fake.pow(2).mean()}

    def g_loss(self, fake):
        return (fake - 1).pow(2).mean()


class WassersteinGP(Objective):
    """Gulrajani et al. 2017: critic minimises E[D(G(z))] - E[D(x)] + lambda * GP, lambda = 10."""

    name = "wgan-gp"
    default_gp_weight = 10.0

    def d_terms(self, real, fake):
        return {"d_real": -real.mean(), "d_fake": fake.mean()}

    def g_loss(self, fake):
        return -fake.mean()


class Hinge(Objective):
    """Lim & Ye 2017 / Miyato et al. 2018: D minimises E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]."""

    name = "hinge"

    def d_terms(self, real, fake):
        return {"d_real": F.relu(1 - real).mean(), "d_fake": F.relu(1 + fake).mean()}

    def g_loss(self, fake):
        return -fake.mean()


def build_objective(name: str) -> Objective:
    return OBJECTIVES.get(name)()


def _flat_grad_norm_sq(out: Tensor, inputs: list[Tensor]) -> Tensor:
    grads = torch.autograd.grad(out.sum(), inputs, create_graph=True)
    return sum(g.flatten(1).pow(2).sum(1) for g in grads)


def gradient_penalty(critic, real: Tensor, fake: Tensor, *cond: Tensor) -> Tensor:
    """WGAN-GP: E[(||grad_xhat D(xhat)||_2 - 1)^2] with xhat uniformly between real and fake.

    `critic(x, *cond)` is called once more on the interpolates; conditioning inputs (labels, the
    paired source image) are passed through unchanged. Computed in fp32 for stability under autocast.
    """
    with torch.autocast(real.device.type, enabled=False):
        alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device)
        xhat = torch.lerp(real.detach().float(), fake.detach().float(), alpha).requires_grad_(True)
        norm = _flat_grad_norm_sq(critic(xhat, *cond), [xhat]).add(1e-12).sqrt()
        return (norm - 1).pow(2).mean()


def r1_penalty(real_logits: Tensor, real: Tensor) -> Tensor:
    """Mescheder et al. 2018: E[||grad_x D(x)||^2] on real data (the caller multiplies by gamma / 2).

    `real` must have had requires_grad set before the discriminator saw it.
    """
    return _flat_grad_norm_sq(real_logits, [real]).mean()
