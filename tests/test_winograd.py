"""Winograd F(4x4, 3x3) convolution: the same function as F.conv2d, up to float rounding."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from translate.accel.winograd import WinogradConv3x3, transform_kernels, use_winograd, winograd_conv3x3
from translate.nets.layers import init_weights
from translate.nets.resnet import ResnetGenerator
from translate.nets.unet import UnetGenerator


@pytest.mark.parametrize("n,c,k,h,w", [(1, 3, 5, 3, 3), (2, 8, 4, 7, 9), (1, 16, 16, 14, 6), (3, 32, 8, 19, 23)])
@pytest.mark.parametrize("bias", [True, False])
def test_equals_direct_convolution_at_any_size(n, c, k, h, w, bias):
    """Output sides that are not multiples of the 4x4 tile are covered by zero-padded tiles, then cropped."""
    g = torch.Generator().manual_seed(n * 1000 + h)
    x = torch.randn(n, c, h, w, generator=g)
    weight = torch.randn(k, c, 3, 3, generator=g) / (3 * c ** 0.5)
    b = torch.randn(k, generator=g) if bias else None
    want = F.conv2d(x, weight, b)
    got = winograd_conv3x3(x, transform_kernels(weight), b)
    assert got.shape == want.shape and got.is_contiguous()
    assert (got - want).abs().max() < 2e-5 * want.abs().max()


def test_blocks_of_tile_rows_give_the_same_result(monkeypatch):
    """Big inputs run in blocks of tile rows (bounded memory); the seams between blocks leave no mark
    (GEMMs of another shape only round differently)."""
    import translate.accel.winograd as wg

    x, weight = torch.randn(2, 8, 31, 17), torch.randn(4, 8, 3, 3) / 9
    whole = winograd_conv3x3(x, transform_kernels(weight), None)
    monkeypatch.setattr(wg, "BLOCK_TILES", 9)  # 2 images x 4 tiles per row: 1 tile row per block
    blocked = winograd_conv3x3(x, transform_kernels(weight), None)
    assert blocked.shape == whole.shape and (blocked - whole).abs().max() < 2e-5 * whole.abs().max()
    assert (blocked - F.conv2d(x, weight)).abs().max() < 2e-5 * blocked.abs().max()


def test_module_keeps_zero_padding_and_refuses_other_convolutions():
    conv = nn.Conv2d(6, 4, 3, padding=1)
    x = torch.randn(2, 6, 10, 11)
    with torch.no_grad():
        assert (WinogradConv3x3(conv)(x) - conv(x)).abs().max() < 1e-5
    for other in (nn.Conv2d(6, 4, 3, stride=2), nn.Conv2d(6, 4, 4), nn.Conv2d(6, 4, 3, dilation=2),
                  nn.Conv2d(6, 6, 3, groups=2), nn.Conv2d(6, 4, 3, padding=1, padding_mode="reflect")):
        with pytest.raises(ValueError, match="not a 3x3"):
            WinogradConv3x3(other)


def test_resnet9_generator_output_stays_within_1e4():
    """The published ResNet-9 (ngf 64): its 18 residual 3x3 convolutions are replaced, the strided and 7x7
    ones are not, and the image it makes moves by less than 1e-4 (in [-1, 1] units) at an odd size."""
    torch.manual_seed(0)
    G = init_weights(ResnetGenerator(3, 3, ngf=64, n_blocks=9)).eval()
    fast = init_weights(ResnetGenerator(3, 3, ngf=64, n_blocks=9)).eval()
    fast.load_state_dict(G.state_dict())
    assert use_winograd(fast) == 18
    assert sum(isinstance(m, nn.Conv2d) for m in fast.modules()) == 4  # 7x7 in/out + two stride-2 downs
    x = torch.rand(1, 3, 68, 52) * 2 - 1
    with torch.inference_mode():
        assert (fast(x) - G(x)).abs().max() < 1e-4


def test_unet_has_nothing_to_replace():
    assert use_winograd(UnetGenerator(3, 3, num_downs=5, ngf=8)) == 0


def test_translator_on_winograd_gives_the_direct_result(tmp_path, unpaired_root):
    """(Whether it is on by default is timed per machine: tests/test_autotune.py.)"""
    from conftest import make_config

    import translate
    from translate.training.trainer import Trainer

    run = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 1}), tmp_path / "r", quiet=True).fit()
    fast = translate.load(run / "bundle", device="cpu", precision="fp32", winograd=True)
    direct = translate.load(run / "bundle", device="cpu", precision="fp32", winograd=False)
    assert fast.winograd_layers > 0 and direct.winograd_layers == 0
    x = torch.rand(2, 3, 36, 44) * 2 - 1
    assert (fast.translate_tensor(x) - direct.translate_tensor(x)).abs().max() < 1e-4


# ------------------------------------------------------------------------------------------ training
@pytest.mark.parametrize("n,c,k,h,w", [(1, 3, 5, 3, 3), (2, 8, 4, 7, 9), (1, 16, 16, 14, 6), (3, 5, 8, 19, 23)])
def test_backward_equals_the_library_backward(n, c, k, h, w):
    """Input and kernel gradients from the Winograd domain equal aten's convolution_backward (float64:
    to 1e-10, so the algebra is exact; float32: within rounding), at sizes that are not tile multiples."""
    from translate.accel.winograd import winograd_conv3x3_backward

    for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 3e-5)):
        g = torch.Generator().manual_seed(c * 100 + w)
        x = torch.randn(n, c, h, w, generator=g).to(dtype)
        weight = (torch.randn(k, c, 3, 3, generator=g) / (3 * c ** 0.5)).to(dtype)
        grad_out = torch.randn(n, k, h - 2, w - 2, generator=g).to(dtype)
        want_x, want_w, _ = torch.ops.aten.convolution_backward(
            grad_out, x, weight, None, (1, 1), (0, 0), (1, 1), False, (0, 0), 1, (True, True, False))
        got_x, got_w = winograd_conv3x3_backward(x, weight, grad_out)
        assert got_x.shape == x.shape and got_w.shape == weight.shape
        assert (got_x - want_x).abs().max() < tol * want_x.abs().max()
        assert (got_w - want_w).abs().max() < tol * want_w.abs().max()


def test_training_layers_keep_parameters_and_switch_only_big_layers():
    """use_winograd_training changes the layer class in place: the same parameters (so optimizers and
    checkpoints are untouched), gradients as nn.Conv2d's (gradcheck in float64), and only layers with
    enough channels switch."""
    import copy

    from translate.accel.winograd import WinogradTrainConv2d, use_winograd_training

    torch.manual_seed(0)
    G = ResnetGenerator(3, 3, ngf=4, n_blocks=2).double()
    keys, params = list(G.state_dict()), [id(p) for p in G.parameters()]
    assert use_winograd_training(G, min_channels=32) == 0  # 16-channel blocks stay direct
    assert use_winograd_training(G, min_channels=16) == 4
    assert list(G.state_dict()) == keys and [id(p) for p in G.parameters()] == params
    assert isinstance(copy.deepcopy(G).model[10].conv_block[1], WinogradTrainConv2d)  # EMA copies keep it
    conv = nn.Conv2d(3, 2, 3, padding=1).double()
    conv.__class__ = WinogradTrainConv2d
    x = torch.randn(1, 3, 6, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(conv, (x,))
    direct = nn.Conv2d(3, 2, 3, padding=1).double()
    direct.load_state_dict(conv.state_dict())
    assert (conv(x) - direct(x)).abs().max() < 1e-12


def test_reused_buffers_made_in_inference_mode_serve_training_too():
    """The intermediates live in per-thread buffers. Buffers first made under inference_mode (a demo or
    `translate eval` in a training process) must still take the training path's in-place writes."""
    import threading

    from translate.accel.winograd import winograd_conv3x3_backward

    x, weight = torch.randn(1, 4, 9, 9, dtype=torch.float64), torch.randn(3, 4, 3, 3, dtype=torch.float64)
    grad_out = torch.randn(1, 3, 7, 7, dtype=torch.float64)
    errors: list[BaseException] = []

    def fresh_thread():  # a new thread has no buffers yet: the first call below creates them
        try:
            with torch.inference_mode():
                winograd_conv3x3(x, transform_kernels(weight), None)
            got_x, _ = winograd_conv3x3_backward(x, weight, grad_out)
            want_x = torch.ops.aten.convolution_backward(grad_out, x, weight, None, (1, 1), (0, 0), (1, 1), False,
                                                         (0, 0), 1, (True, False, False))[0]
            assert (got_x - want_x).abs().max() < 1e-10 * want_x.abs().max()
        except BaseException as e:  # noqa: BLE001 (re-raised in the test's thread)
            errors.append(e)

    t = threading.Thread(target=fresh_thread)
    t.start()
    t.join()
    if errors:
        raise errors[0]
