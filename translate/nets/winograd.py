"""Winograd F(4x4, 3x3) convolution for inference: 4x fewer multiplications in 3x3 stride-1 layers.

A ResNet generator spends ~88% of its FLOPs in the 3x3 convolutions of its residual blocks (at 256 px,
87 of 99 GFLOPs). Lavin & Gray 2016 ("Fast Algorithms for Convolutional Neural Networks") compute a
4x4 output tile of a 3x3 correlation from a 6x6 input tile with 36 multiplications instead of 144:

    Y = A^T [ (G g G^T) * (B^T d B) ] A        (* = elementwise; per input/output channel pair)

With the kernels transformed once (U = G g G^T, kept: the weights never change at inference), each
layer becomes: input tiles -> V = B^T d B (one small matmul), 36 independent GEMMs M = U V over the
channels (the bulk of the work, at BLAS speed), and Y = A^T M A. Float error stays ~1e-5 relative per
layer (measured on a whole ResNet-9 generator: see tests/test_winograd.py), far below uint8 rounding.

Memory: U is 4x the size of the weight (36 values per kernel instead of 9): +170 MB for a ResNet-9.
Transforming per call instead (3.5 ms a layer) measured 1.26x instead of 1.38x end to end at 256 px.

Why not a library: PyTorch's oneDNN path has no Winograd on AVX2 CPUs. Its bundled NNPACK (F(6x6,
3x3), `torch._nnpack_spatial_convolution`, usable only after `torch.backends.nnpack.is_available()`
initialised it) transforms the kernels on every call and gave 1.23x on a ResNet-9 forward on this 2-core
machine, against ~1.4x here (one 256-channel layer: 2.2x).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Lavin & Gray 2016, F(4x4, 3x3) with interpolation points 0, 1, -1, 2, -2 and infinity.
_BT = [[4, 0, -5, 0, 1, 0],
       [0, -4, -4, 1, 1, 0],
       [0, 4, -4, -1, 1, 0],
       [0, -2, -1, 2, 1, 0],
       [0, 2, -1, -2, 1, 0],
       [0, 4, 0, -5, 0, 1]]
_G = [[1 / 4, 0, 0],
      [-1 / 6, -1 / 6, -1 / 6],
      [-1 / 6, 1 / 6, -1 / 6],
      [1 / 24, 1 / 12, 1 / 6],
      [1 / 24, -1 / 12, 1 / 6],
      [0, 0, 1]]
_AT = [[1, 1, 1, 1, 1, 0],
       [0, 1, -1, 2, -2, 0],
       [0, 1, 1, 4, 4, 0],
       [0, 1, -1, 8, -8, 1]]
TILE, IN_TILE = 4, 6


def _kron(m: list[list[float]]) -> Tensor:
    """The 2-D transform X -> M X M^T of a flattened square tile, as one matrix: kron(M, M)."""
    t = torch.tensor(m, dtype=torch.float64)
    return torch.kron(t, t)


_BT2, _G2, _AT2 = _kron(_BT), _kron(_G), _kron(_AT)  # (36, 36), (36, 9), (16, 36)
_CAST: dict[tuple, Tensor] = {}


def _as(m: Tensor, like: Tensor) -> Tensor:
    """The transform matrix in the input's dtype and device (converted once, then reused)."""
    key = (id(m), like.dtype, like.device)
    if key not in _CAST:
        _CAST[key] = m.to(like.device, like.dtype)
    return _CAST[key]


def transform_kernels(weight: Tensor) -> Tensor:
    """(K, C, 3, 3) -> U (36, K, C) = G g G^T per channel pair, computed in float64 then rounded once."""
    k, c = weight.shape[:2]
    u = _G2 @ weight.detach().double().reshape(k * c, 9).T  # (36, K*C)
    return u.reshape(36, k, c).to(weight.dtype).contiguous()


# Tiles per block. Blocks bound the transient memory of big inputs (the transformed tiles and GEMM
# outputs take 2 x 36 x channels x tiles floats: 2 x 38 MB for 1,024 tiles at 256 channels, against
# 2 x 340 MB for one 1536 px tile of `translate convert` in one piece). Measured on a ResNet-9: blocks
# of 128-1,024 tiles and a single block ran within this host's noise at 256 and 512x384 px.
BLOCK_TILES = 1024


def winograd_conv3x3(x: Tensor, u: Tensor, bias: Tensor | None) -> Tensor:
    """3x3 correlation, stride 1, no padding (pad beforehand): x (N, C, H, W) -> (N, K, H-2, W-2),
    with u = transform_kernels(weight). Equals F.conv2d(x, weight, bias) up to float rounding."""
    n, c, h, w = x.shape
    ho, wo = h - 2, w - 2
    th, tw = -(-ho // TILE), -(-wo // TILE)
    # zero-pad so that th x tw overlapping 6x6 tiles (stride 4) cover the input; extra outputs are cropped
    if (TILE * th + 2, TILE * tw + 2) != (h, w):
        x = F.pad(x, (0, TILE * tw + 2 - w, 0, TILE * th + 2 - h))
    rows = max(1, BLOCK_TILES // (n * tw))  # tile rows per block
    if rows < th:
        y = torch.cat([_tiles(x[:, :, TILE * i:TILE * min(i + rows, th) + 2], u) for i in range(0, th, rows)], 2)
    else:
        y = _tiles(x, u)
    y = y[:, :, :ho, :wo]
    if bias is not None:
        y = y + bias.view(1, -1, 1, 1)
    return y.contiguous()


def _tiles(x: Tensor, u: Tensor) -> Tensor:
    """The Winograd steps on an input whose sides are 4 t + 2: (N, C, 4 th + 2, 4 tw + 2) -> (N, K, 4 th, 4 tw)."""
    n, c, h, w = x.shape
    th, tw = (h - 2) // TILE, (w - 2) // TILE
    d = x.unfold(2, IN_TILE, TILE).unfold(3, IN_TILE, TILE)  # (N, C, th, tw, 6, 6), a view
    p = n * th * tw
    d = d.permute(4, 5, 1, 0, 2, 3).reshape(36, c * p)  # one copy: tile positions first
    v = (_as(_BT2, x) @ d).view(36, c, p)
    m = torch.bmm(u, v)  # 36 GEMMs (K, C) @ (C, P): the multiplications that Winograd saves
    k = u.shape[1]
    y = (_as(_AT2, x) @ m.view(36, k * p)).view(TILE, TILE, k, n, th, tw)
    return y.permute(3, 2, 4, 0, 5, 1).reshape(n, k, TILE * th, TILE * tw)


class WinogradConv3x3(nn.Module):
    """Drop-in inference replacement for an nn.Conv2d with a 3x3 kernel, stride 1, dilation 1, one
    group and zero (or no) padding. Holds the transformed kernels, not the original weight."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        if not eligible(conv):
            raise ValueError(f"not a 3x3 stride-1 dense convolution with zero padding: {conv}")
        self.padding = conv.padding
        self.register_buffer("u", transform_kernels(conv.weight))
        self.register_buffer("bias", None if conv.bias is None else conv.bias.detach().clone())

    def forward(self, x: Tensor) -> Tensor:
        ph, pw = self.padding
        if ph or pw:
            x = F.pad(x, (pw, pw, ph, ph))
        return winograd_conv3x3(x, self.u.to(x.dtype), None if self.bias is None else self.bias.to(x.dtype))


def eligible(m: nn.Module) -> bool:
    return (type(m) is nn.Conv2d and m.kernel_size == (3, 3) and m.stride == (1, 1) and m.dilation == (1, 1)
            and m.groups == 1 and m.padding_mode == "zeros" and isinstance(m.padding, tuple))


def use_winograd(net: nn.Module) -> int:
    """Replace every eligible Conv2d of `net` in place (inference only: the kernels are transformed
    once, so later weight changes are not seen). Returns how many were replaced."""
    count = 0
    for name, child in net.named_children():
        if eligible(child):
            setattr(net, name, WinogradConv3x3(child).to(child.weight.device))
            count += 1
        else:
            count += use_winograd(child)
    return count
