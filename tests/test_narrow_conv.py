"""Convolutions with few output channels run channels-last at inference (translate/nets/narrow_conv.py)."""

from __future__ import annotations

import torch
from torch import nn

from translate.accel.narrow_conv import ChannelsLastConv2d, use_channels_last_narrow_convs
from translate.nets.resnet import ResnetGenerator
from translate.nets.unet import UnetGenerator


def test_only_the_narrow_output_layer_switches_and_computes_the_same():
    """In a ResNet generator only the last 7x7 conv (ngf -> 3) switches: not the first (3 -> ngf, a narrow
    input, slower channels-last) and nothing else. Parameters stay the same objects; the output stays
    NCHW-contiguous and equal within float rounding."""
    torch.manual_seed(0)
    G = ResnetGenerator(3, 3, ngf=16, n_blocks=2).eval()
    plain = ResnetGenerator(3, 3, ngf=16, n_blocks=2).eval()
    plain.load_state_dict(G.state_dict())
    params = [id(p) for p in G.parameters()]
    assert use_channels_last_narrow_convs(G) == 1
    last = [m for m in G.modules() if isinstance(m, nn.Conv2d)][-1]
    assert type(last) is ChannelsLastConv2d and last.out_channels == 3
    assert [id(p) for p in G.parameters()] == params and G.state_dict().keys() == plain.state_dict().keys()
    x = torch.rand(2, 3, 36, 28) * 2 - 1
    with torch.inference_mode():
        got, want = G(x), plain(x)
    assert got.is_contiguous() and (got - want).abs().max() < 1e-5


def test_unet_layers_stay_as_they_are():
    """U-Net ends are a narrow-input conv and a transposed conv: neither measured faster channels-last."""
    assert use_channels_last_narrow_convs(UnetGenerator(3, 3, num_downs=5, ngf=8)) == 0


def test_translator_switches_on_the_cpu_in_fp32_only(tmp_path, unpaired_root):
    """Where it is on (left to auto, it is timed per machine: tests/test_autotune.py), and where never."""
    from conftest import make_config

    import translate
    from translate.training.trainer import Trainer

    cfg = make_config("cyclegan", str(unpaired_root), train={"steps": 1}, model_kw={"ngf": 16})  # 16 -> 3 at the end
    run = Trainer(cfg, tmp_path / "r", quiet=True).fit()

    def switched(tr) -> int:
        return sum(type(m) is ChannelsLastConv2d for m in tr.G.modules())

    assert switched(translate.load(run / "bundle", device="cpu", precision="fp32", narrow_channels_last=True)) == 1
    assert switched(translate.load(run / "bundle", device="cpu", narrow_channels_last=False)) == 0
    assert switched(translate.load(run / "bundle", device="cpu", precision="fp32", channels_last=True)) == 0
    assert switched(translate.load(run / "bundle", device="cpu", precision="bf16")) == 0
