"""Each objective's value and gradient against its formula, and the saturation fact of the 2014 paper."""

from __future__ import annotations

import math

import pytest
import torch

from translate.models.objectives import build_objective, gradient_penalty, r1_penalty
from translate.registry import OBJECTIVES


def sig(x):
    return 1 / (1 + math.exp(-x))


REAL = [0.3, -1.2, 2.5, 0.0]
FAKE = [-0.7, 1.1, -3.0, 0.4]

# (D loss to minimise per real logit, per fake logit, G loss per fake logit), from the papers' formulas.
FORMULAS = {
    "minimax": (lambda r: -math.log(sig(r)), lambda f: -math.log(1 - sig(f)), lambda f: math.log(1 - sig(f))),
    "nonsaturating": (lambda r: -math.log(sig(r)), lambda f: -math.log(1 - sig(f)), lambda f: -math.log(sig(f))),
    "lsgan": (lambda r: (r - 1) ** 2, lambda f: f ** 2, lambda f: (f - 1) ** 2),
    "wgan-gp": (lambda r: -r, lambda f: f, lambda f: -f),
    "hinge": (lambda r: max(0.0, 1 - r), lambda f: max(0.0, 1 + f), lambda f: -f),
}


def test_every_registered_objective_has_a_formula():
    assert sorted(FORMULAS) == OBJECTIVES.names()


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_values_match_formula(name):
    obj = build_objective(name)
    fr, ff, fg = FORMULAS[name]
    r, f = torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64)
    terms = obj.d_terms(r, f)
    assert terms["d_real"].item() == pytest.approx(sum(map(fr, REAL)) / 4, rel=1e-9)
    assert terms["d_fake"].item() == pytest.approx(sum(map(ff, FAKE)) / 4, rel=1e-9)
    assert obj.g_loss(f).item() == pytest.approx(sum(map(fg, FAKE)) / 4, rel=1e-9)


def _numeric_grad(fn, xs, eps=1e-6):
    out = []
    for i in range(len(xs)):
        hi, lo = list(xs), list(xs)
        hi[i] += eps
        lo[i] -= eps
        out.append((sum(map(fn, hi)) - sum(map(fn, lo))) / (2 * eps) / len(xs))
    return out


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_gradients_match_formula(name):
    obj = build_objective(name)
    fr, ff, fg = FORMULAS[name]
    r = torch.tensor(REAL, dtype=torch.float64, requires_grad=True)
    f = torch.tensor(FAKE, dtype=torch.float64, requires_grad=True)
    sum(obj.d_terms(r, f).values()).backward()
    assert r.grad.tolist() == pytest.approx(_numeric_grad(fr, REAL), abs=1e-6)
    assert f.grad.tolist() == pytest.approx(_numeric_grad(ff, FAKE), abs=1e-6)
    f2 = torch.tensor(FAKE, dtype=torch.float64, requires_grad=True)
    obj.g_loss(f2).backward()
    assert f2.grad.tolist() == pytest.approx(_numeric_grad(fg, FAKE), abs=1e-6)


def test_minimax_generator_gradient_vanishes_when_d_rejects_fakes():
    """Goodfellow et al. 2014, section 3: early in training D(G(z)) ~ 0 and log(1 - D(G(z))) saturates;
    the non-saturating loss keeps a gradient of about -1 per sample."""
    fake = torch.full((8,), -15.0, requires_grad=True)  # D(G(z)) = sigmoid(-15) ~ 3e-7
    build_objective("minimax").g_loss(fake).backward()
    minimax = fake.grad.abs().max().item()
    fake.grad = None
    build_objective("nonsaturating").g_loss(fake).backward()
    nonsat = fake.grad.abs().min().item()
    assert minimax < 1e-6 / 8
    assert nonsat == pytest.approx(1 / 8, rel=1e-5)
    assert nonsat / minimax > 1e5


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_extreme_logits_stay_finite(name):
    obj = build_objective(name)
    x = torch.tensor([-1e4, 1e4, -80.0, 80.0], requires_grad=True)
    loss = sum(obj.d_terms(x, x).values()) + obj.g_loss(x)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()


class Linear(torch.nn.Module):
    """D(x) = w . x (+ 0 * label): its input gradient is w everywhere."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(w))

    def forward(self, x, *cond):
        return x.flatten(1) @ self.w


def test_gradient_penalty_of_linear_critic():
    D = Linear([3.0, 4.0])  # ||grad|| = 5 -> (5 - 1)^2 = 16
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    gp = gradient_penalty(D, real, fake)
    assert gp.item() == pytest.approx(16.0, rel=1e-5)
    gp.backward()  # differentiable w.r.t. D's weights: d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    assert D.w.grad.tolist() == pytest.approx([2 * 4 * 3 / 5, 2 * 4 * 4 / 5], rel=1e-5)


def test_r1_penalty_of_linear_critic():
    D = Linear([1.0, -2.0])
    real = torch.randn(5, 2, requires_grad=True)
    assert r1_penalty(D(real), real).item() == pytest.approx(5.0, rel=1e-6)
