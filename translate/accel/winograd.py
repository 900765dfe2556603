"""Winograd F(4x4, 3x3) convolution: 4x fewer multiplications in 3x3 stride-1 layers, for inference and
(with its own backward pass) for training on the CPU.

A ResNet generator spends most of its FLOPs in the 3x3 convolutions of its residual blocks. Lavin & Gray
2016 ("Fast Algorithms for Convolutional Neural Networks") compute a 4x4 output tile of a 3x3 correlation
from a 6x6 input tile with 36 multiplications instead of 144:

    Y = A^T [ (G g G^T) * (B^T d B) ] A        (* = elementwise; per input/output channel pair)

With the kernels transformed once (U = G g G^T, kept: the weights never change at inference), each
layer becomes: input tiles -> V = B^T d B (a small transform), 36 independent GEMMs M = U V over the
channels (the bulk of the work, at BLAS speed), and Y = A^T M A. Float error stays ~1e-5 relative per
layer (tests/test_winograd.py checks a whole ResNet-9 generator), far below uint8 rounding. U is 4x the
size of the weight (36 values per kernel instead of 9).

Why not a library: PyTorch's oneDNN path has no Winograd on these CPUs, and its bundled NNPACK transforms
the kernels on every call (slower here; docs/performance.md).

Training (`use_winograd_training`, the trainer's `--winograd`): the backward pass stays in the Winograd
domain too. With dM = A dY A^T (the output gradient's tiles, transformed once), the kernel gradient is
dU = dM V^T (36 GEMMs, then dW = G^T dU G) and the input gradient is dV = U^T dM (36 GEMMs, then
B dV B^T overlap-added back onto the 6x6 input tiles with F.fold): each as costly as the forward, where
oneDNN's backward costs 2-3 forwards; letting autograd differentiate the forward instead is slower than
direct convolution (its unfold backward dominates). The tile transforms cost about 36/channels of the
GEMMs, so only layers of >= 256 channels switch (`MIN_TRAIN_CHANNELS`). The per-layer figures are in
docs/performance.md (`python bench/winograd_layers.py`).
"""

from __future__ import annotations

import math
import threading

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
# outputs take 2 x 36 x channels x tiles floats), and 512 keeps the fresh transformed tiles of inference
# below glibc's 32 MB mmap ceiling at 256 channels, so they come from the heap instead of newly mapped
# pages (docs/performance.md, "Winograd": the timings of other block sizes).
BLOCK_TILES = 512


def winograd_conv3x3(x: Tensor, u: Tensor, bias: Tensor | None, training: bool = False) -> Tensor:
    """3x3 correlation, stride 1, no padding (pad beforehand): x (N, C, H, W) -> (N, K, H-2, W-2),
    with u = transform_kernels(weight). Equals F.conv2d(x, weight, bias) up to float rounding.
    `training` keeps every intermediate in the reused buffers (see _input_tiles)."""
    n, c, h, w = x.shape
    ho, wo = h - 2, w - 2
    th, tw = -(-ho // TILE), -(-wo // TILE)
    x = _pad_to_tiles(x, th, tw)  # th x tw overlapping 6x6 tiles (stride 4) cover it; extra outputs cropped
    out = torch.empty(n, u.shape[1], TILE * th, TILE * tw, dtype=x.dtype, device=x.device)
    rows = max(1, BLOCK_TILES // (n * tw))  # tile rows per block
    for i in range(0, th, rows):
        j = min(i + rows, th)
        _tiles(x[:, :, TILE * i:TILE * j + 2], u, out[:, :, TILE * i:TILE * j], training)
    if (TILE * th, TILE * tw) != (ho, wo):
        out = out[:, :, :ho, :wo].contiguous()
    return out if bias is None else out.add_(bias.view(1, -1, 1, 1))


def _input_tiles(x: Tensor, into_buffers: bool) -> Tensor:
    """V = B^T d B for every 6x6 input tile (stride 4) of x (N, C, 4 th + 2, 4 tw + 2): (36, C, N th tw),
    tile positions ordered (n, row, column).

    Inference: as a convolution of every channel with the 36 rows of kron(B^T, B^T) as 6x6 kernels,
    stride 4. That reads the overlapping tiles in place, where the matmul form first copies them out (faster
    for the same bits; docs/performance.md). The result is
    a fresh tensor, a strided view for one image (bmm takes it at full speed).
    `into_buffers` (training, where fresh tensors fragment the heap): the copy and the matmul, into the
    reused buffers."""
    n, c, h, w = x.shape
    th, tw = (h - 2) // TILE, (w - 2) // TILE
    p = n * th * tw
    if not into_buffers:
        v = F.conv2d(x.reshape(n * c, 1, h, w), _as(_BT2, x).view(36, 1, IN_TILE, IN_TILE), stride=TILE)
        return v.view(n, c, 36, th * tw).permute(2, 1, 0, 3).reshape(36, c, p)
    d = x.unfold(2, IN_TILE, TILE).unfold(3, IN_TILE, TILE).permute(4, 5, 1, 0, 2, 3)  # (6, 6, C, N, th, tw)
    tiles = _scratch("tiles", d.shape, x).copy_(d).view(36, c * p)
    return torch.mm(_as(_BT2, x), tiles, out=_scratch("v", (36, c * p), x)).view(36, c, p)


def _tiles(x: Tensor, u: Tensor, out: Tensor, training: bool) -> None:
    """The Winograd steps on an input whose sides are 4 t + 2, (N, C, 4 th + 2, 4 tw + 2), written into
    out (N, K, 4 th, 4 tw); the GEMM outputs live in the reused buffers."""
    n, c, h, w = x.shape
    th, tw = (h - 2) // TILE, (w - 2) // TILE
    v = _input_tiles(x, into_buffers=training)
    k, p = u.shape[1], v.shape[2]
    m = torch.bmm(u, v, out=_scratch("m", (36, k, p), x))  # 36 GEMMs (K, C) @ (C, P): what Winograd saves
    y = torch.mm(_as(_AT2, x), m.view(36, k * p), out=_scratch("y", (TILE * TILE, k * p), x))
    out.view(n, k, th, TILE, tw, TILE).copy_(y.view(TILE, TILE, k, n, th, tw).permute(3, 2, 4, 0, 5, 1))


# ------------------------------------------------------------------------------------------ training
# Intermediates (tiles, transformed tiles and kernels, GEMM outputs) live in buffers reused from call to
# call, one set per thread (kept for the thread's life; threads that end free theirs), because fresh ones
# cost twice (docs/performance.md, "Winograd" has the figures):
# - Training: fresh tensors left holes between the activations kept for the backward pass that glibc
#   could not reuse, raising the peak memory of a step.
# - Inference: blocks over 32 MB (glibc's largest mmap threshold) were mapped and page-faulted anew on
#   every call, which slowed large images (the output is the same, bit for bit).
# Only the outputs and gradients handed back are new tensors.
_SCRATCH = threading.local()


def _scratch(name: str, shape, like: Tensor) -> Tensor:
    """A reused buffer of `shape` in like's dtype and device (grown to the largest request, per thread)."""
    buffers = _SCRATCH.__dict__.setdefault("buffers", {})
    key, n = (name, like.dtype, like.device), math.prod(shape)
    if key not in buffers or buffers[key].numel() < n:
        with torch.inference_mode(False):  # a normal tensor: usable inside and outside inference mode
            buffers[key] = torch.empty(n, dtype=like.dtype, device=like.device)
    return buffers[key][:n].view(shape)


def _kernels(weight: Tensor) -> Tensor:
    """transform_kernels in the weight's own precision, for training (new weights every step), into a
    reused buffer: U is as large as the transformed tiles (36 x K x C)."""
    k, c = weight.shape[:2]
    u = torch.mm(_as(_G2, weight), weight.reshape(k * c, 9).T, out=_scratch("u", (36, k * c), weight))
    return u.view(36, k, c)


def _pad_to_tiles(x: Tensor, th: int, tw: int) -> Tensor:
    h, w = TILE * th + 2, TILE * tw + 2
    return x if x.shape[-2:] == (h, w) else F.pad(x, (0, w - x.shape[-1], 0, h - x.shape[-2]))


def winograd_conv3x3_train(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """winograd_conv3x3 for the training path: the kernels are transformed on every call (new weights
    every step), into a reused buffer."""
    return winograd_conv3x3(x, _kernels(weight), bias, training=True)


def winograd_conv3x3_backward(x: Tensor, weight: Tensor, grad_out: Tensor, need_x: bool = True,
                              need_w: bool = True) -> tuple[Tensor | None, Tensor | None]:
    """(grad_x, grad_weight) of y = conv2d(x, weight) (3x3, stride 1, no padding), both computed in the
    Winograd domain from dM = A dY A^T (None where not needed). Equals aten's convolution_backward up to
    float rounding."""
    n, c, h, w = x.shape
    k, ho, wo = grad_out.shape[1:]
    th, tw = -(-ho // TILE), -(-wo // TILE)
    x = _pad_to_tiles(x, th, tw)  # the forward's zero-padded tiling; the extra outputs had no gradient
    if (TILE * th, TILE * tw) != (ho, wo):
        grad_out = F.pad(grad_out, (0, TILE * tw - wo, 0, TILE * th - ho))
    p = n * th * tw
    dy = _scratch("dy", (TILE, TILE, k, n, th, tw), x)
    dy.copy_(grad_out.reshape(n, k, th, TILE, tw, TILE).permute(3, 5, 1, 0, 2, 4))
    dm = torch.mm(_as(_AT2, x).T, dy.view(TILE * TILE, k * p), out=_scratch("dm", (36, k * p), x)).view(36, k, p)
    grad_x = grad_w = None
    if need_w:
        du = torch.bmm(dm, _input_tiles(x, into_buffers=True).transpose(1, 2), out=_scratch("du", (36, k, c), x))
        # G^T dU as a wide (9, K C) product, then one transposing copy into (K, C, 3, 3): a (K C, 36) @
        # (36, 9) product, with its 9-column output, runs far below the GEMM's speed (docs/performance.md)
        grad_w = torch.mm(_as(_G2, x).T, du.view(36, k * c)).T.contiguous().view(k, c, 3, 3)  # a new tensor
    if need_x:
        dv = torch.bmm(_kernels(weight).transpose(1, 2), dm, out=_scratch("dv", (36, c, p), x))
        dd = torch.mm(_as(_BT2, x).T, dv.view(36, c * p), out=_scratch("dd", (36, c * p), x))
        cols = _scratch("cols", (n, c, 36, th * tw), x).copy_(dd.view(36, c, n, th * tw).permute(2, 1, 0, 3))
        grad_x = F.fold(cols.view(n, c * 36, th * tw), x.shape[-2:], IN_TILE, stride=TILE)[:, :, :h, :w]
    return grad_x, grad_w


class _WinogradConv3x3Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        ctx.save_for_backward(x, weight)  # what oneDNN's convolution keeps too
        ctx.has_bias = bias is not None
        return winograd_conv3x3_train(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x, grad_w = winograd_conv3x3_backward(x, weight, grad_out.contiguous(), need_x, need_w)
        grad_b = grad_out.sum((0, 2, 3)) if ctx.has_bias and need_b else None
        return grad_x, grad_w, grad_b


class WinogradTrainConv2d(nn.Conv2d):
    """An nn.Conv2d (same parameters and state-dict keys) whose forward and backward run Winograd
    F(4x4, 3x3): `use_winograd_training` switches eligible layers to this class in place."""

    def forward(self, x: Tensor) -> Tensor:
        if x.dtype not in (torch.float32, torch.float64) or torch.is_autocast_enabled(x.device.type):
            return super().forward(x)  # half-precision paths keep the library's kernels
        ph, pw = self.padding
        if ph or pw:
            x = F.pad(x, (pw, pw, ph, ph))
        return _WinogradConv3x3Fn.apply(x, self.weight, self.bias)


MIN_TRAIN_CHANNELS = 256  # below this the transforms outweigh the saved multiplications (module docstring)


def use_winograd_training(net: nn.Module, min_channels: int = MIN_TRAIN_CHANNELS) -> int:
    """Switch every eligible 3x3 Conv2d of `net` with at least `min_channels` input and output channels
    to WinogradTrainConv2d, in place (parameters, optimizer state and checkpoints are untouched). Returns
    how many layers switched."""
    count = 0
    for m in net.modules():
        if eligible(m) and min(m.in_channels, m.out_channels) >= min_channels:
            m.__class__ = WinogradTrainConv2d
            count += 1
    return count


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
