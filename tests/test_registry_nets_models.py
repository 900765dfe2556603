"""Tests generated from the registries: every net and every model gets the same checks, so a new one
cannot slip in untested (add its smoke arguments below)."""

from __future__ import annotations

import pytest
import torch

from translate.models.base import DataInfo, build_net
from translate.models.configs import MODEL_CONFIGS
from translate.nets.layers import init_weights
from translate.registry import MODELS, NETS, UnknownNameError

# net name -> (constructor kwargs, input builder, expected output shape)
NET_CASES = {
    "mlp_g": [({"z_dim": 4, "out_dim": 2, "hidden": 8, "layers": 2}, lambda: (torch.randn(5, 4),), (5, 2)),
              ({"z_dim": 4, "out_dim": 6, "hidden": 8, "n_classes": 3, "tanh": True},
               lambda: (torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])), (5, 6))],
    "mlp_d": [({"in_dim": 2, "hidden": 8, "maxout": 3}, lambda: (torch.randn(6, 2),), (6,)),
              ({"in_dim": 2, "hidden": 8, "pack": 3}, lambda: (torch.randn(6, 2),), (2,))],
    "dcgan_g": [({"z_dim": 8, "channels": c, "image_size": s, "ngf": 4}, lambda: (torch.randn(2, 8),), (2, c, s, s))
                for s, c in ((28, 1), (32, 3), (64, 3))]
    + [({"z_dim": 8, "channels": 1, "image_size": 28, "ngf": 4, "n_classes": 10},
        lambda: (torch.randn(2, 8), torch.tensor([3, 9])), (2, 1, 28, 28))],
    "dcgan_d": [({"channels": c, "image_size": s, "ndf": 4}, lambda c=c, s=s: (torch.randn(2, c, s, s),), (2,))
                for s, c in ((28, 1), (32, 3), (64, 3))]
    + [({"channels": 1, "image_size": 32, "ndf": 4, "n_classes": 10, "conditioning": cond},
        lambda: (torch.randn(2, 1, 32, 32), torch.tensor([3, 9])), (2,)) for cond in ("concat", "projection")],
}


def test_every_registered_net_has_smoke_cases():
    assert sorted(NET_CASES) == NETS.names()


@pytest.mark.parametrize("name,case", [(n, c) for n, cases in NET_CASES.items() for c in cases],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_net_forward_shape_and_gradient(name, case):
    kwargs, inputs, shape = case
    net = NETS.get(name)(**kwargs)
    out = net(*inputs())
    assert tuple(out.shape) == shape
    out.float().pow(2).mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


def test_dcgan_generator_output_range_and_init_statistics():
    net = init_weights(NETS.get("dcgan_g")(z_dim=16, channels=3, image_size=32, ngf=32))
    convs = [m.weight for m in net.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    w = torch.cat([c.flatten() for c in convs])
    assert w.mean().abs() < 2e-3 and abs(w.std().item() - 0.02) < 2e-3  # N(0, 0.02), Radford et al.
    x = net(torch.randn(4, 16))
    assert x.min() >= -1 and x.max() <= 1


def test_unsupported_dcgan_size_is_a_clear_error():
    with pytest.raises(ValueError, match="--size 32 or 64"):
        NETS.get("dcgan_g")(image_size=48)


def test_unknown_names_suggest_the_closest():
    with pytest.raises(UnknownNameError, match="Did you mean 'dcgan'"):
        MODELS.get("dcgn")
    assert "Valid: cgan, dcgan, gan" in str(pytest.raises(UnknownNameError, MODELS.get, "zzz").value)


# --------------------------------------------------------------------------------------------- models
MODEL_CASES = {
    "gan": [(DataInfo("points", "ring8", dim=2), {"g_hidden": 8, "d_hidden": 8, "maxout": 2}),
            (DataInfo("images", "x", channels=1, image_size=28), {"g_hidden": 8, "d_hidden": 8, "pack": 2})],
    "dcgan": [(DataInfo("images", "x", channels=3, image_size=32), {"z_dim": 8, "ngf": 4, "ndf": 4})],
    "cgan": [(DataInfo("images", "x", channels=1, image_size=28, class_names=list("abc")),
              {"z_dim": 8, "ngf": 4, "ndf": 4, "conditioning": c}) for c in ("concat", "projection")],
}


def _batch(info: DataInfo, n: int = 4) -> dict:
    x = torch.randn(n, info.dim) if info.kind == "points" else torch.rand(n, info.channels, info.image_size,
                                                                          info.image_size) * 2 - 1
    return {"x": x, "y": torch.arange(n) % max(1, info.n_classes)}


def test_every_registered_model_has_cases_and_a_config():
    assert sorted(MODEL_CASES) == MODELS.names() == sorted(MODEL_CONFIGS)


@pytest.mark.parametrize("objective", ["minimax", "nonsaturating", "lsgan", "wgan-gp", "hinge"])
@pytest.mark.parametrize("name,case", [(n, c) for n, cases in MODEL_CASES.items() for c in cases],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_model_losses_are_finite_and_reach_only_their_role(name, case, objective):
    info, kw = case
    torch.manual_seed(0)
    model = MODELS.get(name)(MODEL_CONFIGS[name](objective=objective, r1=1.0, **kw), info)
    roles = model.roles()
    ids = [id(p) for ps in roles.values() for p in ps]
    assert sorted(ids) == sorted(id(p) for p in model.parameters())  # roles partition the parameters
    batch = _batch(info)
    for role, loss in (("D", model.d_loss(batch)), ("G", model.g_loss(batch))):
        assert torch.isfinite(loss.total) and loss.terms
        model.zero_grad()
        other = roles["G" if role == "D" else "D"]
        for p in other:
            p.requires_grad_(False)
        loss.total.backward()
        for p in other:
            p.requires_grad_(True)
        assert all(p.grad is not None for p in roles[role] if p.requires_grad)
        assert all(p.grad is None for p in other)
    if objective == "wgan-gp":
        assert "gp" in model.d_loss(batch).terms


@pytest.mark.parametrize("name,case", [(n, c) for n, cases in MODEL_CASES.items() for c in cases],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_export_config_rebuilds_the_generator(name, case):
    info, kw = case
    model = MODELS.get(name)(MODEL_CONFIGS[name](**kw), info).eval()
    cfg = model.export_config()
    G = build_net(cfg["nets"]["G"])
    G.load_state_dict(model.export()["G"].state_dict())
    fixed = model.fixed_inputs(6, torch.Generator().manual_seed(0))
    want = model.visuals(fixed)["samples"]
    args = (fixed["y"],) if "y" in fixed else ()
    got = G.eval()(fixed["z"], *args).reshape(want.shape)
    assert torch.equal(got, want)
    assert tuple(cfg["sample_shape"]) == tuple(want.shape[1:])
