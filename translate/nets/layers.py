"""Weight initialisation shared by every net."""

from __future__ import annotations

import contextlib

from torch import nn

from translate.registry import INIT_KINDS, NORM_KINDS


def init_weights(net: nn.Module, kind: str = "normal", gain: float = 0.02) -> nn.Module:
    """Radford et al. 2016 (and pix2pix/CycleGAN): conv/linear weights ~ N(0, gain), biases 0,
    norm scales ~ N(1, gain), norm shifts 0. `kind` picks another scheme for conv/linear weights."""
    if kind not in INIT_KINDS:
        raise ValueError(f"unknown init {kind!r}; valid: {', '.join(INIT_KINDS)}")
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            w = m.weight
            if kind == "normal":
                nn.init.normal_(w, 0.0, gain)
            elif kind == "xavier":
                nn.init.xavier_normal_(w, gain=gain)
            elif kind == "kaiming":
                nn.init.kaiming_normal_(w, a=0, mode="fan_in")
            else:
                nn.init.orthogonal_(w, gain=gain)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return net


def norm_layer(kind: str, channels: int) -> nn.Module:
    """pix2pix/CycleGAN `get_norm_layer`: InstanceNorm without affine parameters or running statistics,
    BatchNorm with both (PyTorch's eps 1e-5 and momentum 0.1), or nothing."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; valid: {', '.join(NORM_KINDS)}")


def conv_bias(norm: str) -> bool:
    """The official rule: a conv followed by a norm has a bias only when that norm is InstanceNorm
    (BatchNorm's shift makes it redundant; InstanceNorm has none). With no norm, keep the bias."""
    return norm != "batch"


@contextlib.contextmanager
def frozen_batchnorm_stats(net: nn.Module):
    """Run a train-mode forward (batch statistics, as the official test.py does without --eval) without
    moving BatchNorm's running statistics."""
    saved = {k: v.clone() for k, v in net.state_dict().items() if "running_" in k or "num_batches" in k}
    try:
        yield
    finally:
        net.load_state_dict(saved, strict=False)
