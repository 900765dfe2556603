"""Tests generated from the registries: every net and every model gets the same checks, so a new one
cannot slip in untested (add its smoke arguments below)."""

from __future__ import annotations

import pytest
import torch

from translate.data.info import DataInfo
from translate.errors import UnknownNameError
from translate.nets.layers import init_weights
from translate.nets.spec import build_net
from translate.registry import MODELS, NETS, OBJECTIVES, model_config

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
    "resnet_g": [({"ngf": 4, "n_blocks": 2}, lambda: (torch.randn(2, 3, 20, 24),), (2, 3, 20, 24)),
                 ({"in_channels": 1, "out_channels": 3, "ngf": 4, "n_blocks": 1, "norm": "batch", "dropout": True,
                   "padding": "zero"}, lambda: (torch.randn(2, 1, 16, 16),), (2, 3, 16, 16)),
                 ({"ngf": 4, "n_blocks": 1, "antialias": True, "antialias_up": True},
                  lambda: (torch.randn(2, 3, 20, 24),), (2, 3, 20, 24))],
    "unet_g": [({"ngf": 4, "num_downs": 5}, lambda: (torch.randn(2, 3, 32, 32),), (2, 3, 32, 32)),
               ({"ngf": 4, "num_downs": 6, "norm": "instance", "dropout": False}, lambda: (torch.randn(1, 3, 64, 64),),
                (1, 3, 64, 64))],
    "patchgan_d": [({"ndf": 4}, lambda: (torch.randn(2, 3, 64, 64),), (2, 1, 6, 6)),
                   ({"ndf": 4, "antialias": True}, lambda: (torch.randn(2, 3, 64, 64),), (2, 1, 6, 6)),
                   ({"in_channels": 6, "ndf": 4, "n_layers": 2, "norm": "batch"}, lambda: (torch.randn(2, 6, 32, 32),),
                    (2, 1, 6, 6))],
    "pixel_d": [({"ndf": 4}, lambda: (torch.randn(2, 3, 8, 8),), (2, 1, 8, 8))],
    # 2 images x 5 sampled positions of layer 0, and all 4 of layer 1 (it has fewer than 5), 8 wide
    "patch_sample_mlp": [({"in_channels": [3, 6], "nc": 8},
                          lambda: ([torch.randn(2, 3, 4, 4), torch.randn(2, 6, 2, 2)], 5), (18, 8))],
}


def test_every_registered_net_has_smoke_cases():
    assert sorted(NET_CASES) == NETS.names()


@pytest.mark.parametrize("name,case", [(n, c) for n, cases in NET_CASES.items() for c in cases],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_net_forward_shape_and_gradient(name, case):
    kwargs, inputs, shape = case
    net = NETS.get(name)(**kwargs)
    out = net(*inputs())
    if isinstance(out, tuple):  # (embeddings per layer, sampled positions): check the embeddings
        out = torch.cat(out[0])
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
    message = str(pytest.raises(UnknownNameError, MODELS.get, "zzz").value)
    assert "Valid: cgan, cut, cyclegan, dcgan, fastcut, gan, pix2pix" in message


# --------------------------------------------------------------------------------------------- models
MODEL_CASES = {
    "gan": [(DataInfo("points", "ring8", dim=2), {"g_hidden": 8, "d_hidden": 8, "maxout": 2}),
            (DataInfo("images", "x", channels=1, image_size=28), {"g_hidden": 8, "d_hidden": 8, "pack": 2})],
    "dcgan": [(DataInfo("images", "x", channels=3, image_size=32), {"z_dim": 8, "ngf": 4, "ndf": 4})],
    "cgan": [(DataInfo("images", "x", channels=1, image_size=28, class_names=list("abc")),
              {"z_dim": 8, "ngf": 4, "ndf": 4, "conditioning": c}) for c in ("concat", "projection")],
    "pix2pix": [(DataInfo("paired", "x", channels=3, out_channels=3, image_size=32),
                 {"netG": "unet_32", "ngf": 4, "ndf": 4, "pool_size": 2}),
                (DataInfo("paired", "x", channels=1, out_channels=3, image_size=32),
                 {"netG": "resnet_6blocks", "netD": "pixel", "ngf": 4, "ndf": 4,
                  "diffaug": "color,translation,cutout"})],
    "cyclegan": [(DataInfo("unpaired", "x", channels=3, out_channels=3, image_size=32),
                  {"netG": "resnet_6blocks", "ngf": 4, "ndf": 4, "diffaug": "translation"}),
                 (DataInfo("unpaired", "x", channels=3, out_channels=3, image_size=32),
                  {"netG": "unet_32", "norm": "batch", "netD": "n_layers", "n_layers_d": 2, "ngf": 4, "ndf": 4})],
    "cut": [(DataInfo("unpaired", "x", channels=3, out_channels=3, image_size=32),
             {"netG": "resnet_6blocks", "ngf": 4, "ndf": 4, "num_patches": 16, "netf_nc": 8})],
    "fastcut": [(DataInfo("unpaired", "x", channels=3, out_channels=3, image_size=32, direction="BtoA"),
                 {"netG": "resnet_6blocks", "ngf": 4, "ndf": 4, "num_patches": 16, "netf_nc": 8})],
}


def _batch(info: DataInfo, n: int = 4) -> dict:
    if info.kind in ("paired", "unpaired"):
        s = info.image_size
        return {"A": torch.rand(n, info.channels, s, s) * 2 - 1, "B": torch.rand(n, info.out_channels, s, s) * 2 - 1}
    x = torch.randn(n, info.dim) if info.kind == "points" else torch.rand(n, info.channels, info.image_size,
                                                                          info.image_size) * 2 - 1
    return {"x": x, "y": torch.arange(n) % max(1, info.n_classes)}


def test_every_registered_model_has_cases_and_a_config():
    assert sorted(MODEL_CASES) == MODELS.names()


@pytest.mark.parametrize("objective", OBJECTIVES.names())
@pytest.mark.parametrize("name,case", [(n, c) for n, cases in MODEL_CASES.items() for c in cases],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_model_losses_are_finite_and_reach_only_their_role(name, case, objective):
    """Each phase's loss (as the trainer runs them, k = 1) is finite and gives gradients to the roles that phase
    steps and to no other role."""
    info, kw = case
    torch.manual_seed(0)
    model = MODELS.get(name)(model_config(name)(objective=objective, r1=1.0, **kw), info)
    batch = _batch(info)
    model.setup(batch)
    roles = model.roles()
    ids = [id(p) for ps in roles.values() for p in ps]
    assert sorted(ids) == sorted(id(p) for p in model.parameters())  # roles partition the parameters
    outputs = []
    for phase in model.phases(1):
        for r, params in roles.items():
            for p in params:
                p.requires_grad_(r in phase.roles or r in phase.graph_for)
        kwargs = {"fakes": outputs[phase.fakes_from].fakes} if phase.fakes_from is not None else {}
        loss = getattr(model, phase.loss)(batch, **kwargs)
        assert torch.isfinite(loss.total) and loss.terms
        model.zero_grad()
        loss.total.backward(retain_graph=bool(phase.graph_for))
        for r, params in roles.items():
            if r in phase.roles:
                assert any(p.grad is not None for p in params), (phase, r)
            else:
                assert all(p.grad is None for p in params), (phase, r)
        outputs.append(loss)
    if objective == "wgan-gp":
        assert any(k.startswith("gp") for k in model.d_loss(batch).terms)


@pytest.mark.parametrize("name,case", [(n, c) for n, cases in MODEL_CASES.items() for c in cases],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_export_config_rebuilds_the_generator(name, case):
    info, kw = case
    model = MODELS.get(name)(model_config(name)(**kw), info).eval()
    cfg = model.export_config()
    if cfg["kind"] == "translator":
        batch = _batch(info, 2)
        fixed = model.fixed_inputs(2, torch.Generator(), lambda k: batch)
        for direction, net in cfg["directions"].items():
            G = build_net(cfg["nets"][net]).eval()
            G.load_state_dict(model.export()[net].state_dict())
            x = fixed["A"] if direction == "AtoB" else fixed["B"]
            if model.cfg.norm == "batch":  # the grids use batch statistics, like the official test.py
                G.train()
            torch.manual_seed(0)  # the same dropout masks for both
            want = G(x[:1])
            torch.manual_seed(0)
            assert torch.allclose(want, model._translate_for_grid(model.export()[net], x[:1]), atol=1e-6)
        assert model.visuals(fixed)  # a grid comes out
        return
    G = build_net(cfg["nets"]["G"])
    G.load_state_dict(model.export()["G"].state_dict())
    fixed = model.fixed_inputs(6, torch.Generator().manual_seed(0))
    want = model.visuals(fixed)["samples"]
    args = (fixed["y"],) if "y" in fixed else ()
    got = G.eval()(fixed["z"], *args).reshape(want.shape)
    assert torch.equal(got, want)
    assert tuple(cfg["sample_shape"]) == tuple(want.shape[1:])
